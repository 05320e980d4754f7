/**
 * Structured logs: one JSON object per line. Callers pass a typed set of fields, never a raw
 * request, header, body or error, so no password, token, SSN, card number or email can reach
 * a log line through here.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogFields {
  requestId?: string;
  method?: string;
  route?: string;
  status?: number;
  durationMs?: number;
  errorType?: string;
  reason?: string;
  holderId?: string;
  accountId?: string;
  transactionId?: string;
  sessionId?: string;
  amountMinor?: number;
  count?: number;
}

export type LogSink = (line: string) => void;

// console.info is what Workers Logs and `wrangler dev` collect; the sink can be replaced in tests.
let sink: LogSink = (line) => console.info(line);

export function setLogSink(next: LogSink): LogSink {
  const previous = sink;
  sink = next;
  return previous;
}

export function log(level: LogLevel, event: string, fields: LogFields = {}): void {
  sink(JSON.stringify({ time: new Date().toISOString(), level, event, ...fields }));
}
