import type { ServerResponse } from 'node:http';
import { ERROR_TABLE } from '../errors/error-table.js';
import type { SwitchyardError } from '../errors/switchyard-error.js';

/** Answers `body` as JSON; never cached, since every answer is the state of now. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/** An error as the API answers it: `{ error: { code, message, hint } }`, its status from ERROR_TABLE. */
export function sendError(res: ServerResponse, err: SwitchyardError, headers: Record<string, string> = {}): void {
  sendJson(res, ERROR_TABLE[err.code].http, err.toJSON(), headers);
}
