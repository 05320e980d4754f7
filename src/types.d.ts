// Wrangler and the vitest plugin load `.wasm` imports as precompiled modules (CompiledWasm),
// which is the only way Workers allow WebAssembly: compiling from bytes at run time is refused.
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}

// Wrangler and the vitest plugin load `.txt` imports as text modules.
declare module '*.txt' {
  const text: string;
  export default text;
}
