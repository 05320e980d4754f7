// Runs in the browser, in front of Scalar's bundle (scripts/vendor-docs.mjs joins the two).
// The /docs policy allows inline styles only with the page's nonce. Scalar's own stylesheet
// reads it from the csp-nonce meta tag, but the code editor (CodeMirror) and the toasts inject
// theirs without it. This gives every style element that a script creates the nonce, so the
// policy needs neither 'unsafe-inline' nor hashes that change with each release. A style tag in
// injected markup is parsed, never created here, and stays blocked.
(function () {
  const meta = document.querySelector('meta[property="csp-nonce"]');
  const nonce = meta && meta.getAttribute('content');
  if (!nonce) return;
  const createElement = Document.prototype.createElement;
  Document.prototype.createElement = function (name, options) {
    const element = createElement.call(this, name, options);
    if (String(name).toLowerCase() === 'style') element.nonce = nonce;
    return element;
  };
})();
