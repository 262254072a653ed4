/** The most leading characters of a session id that a log line or error message shows. */
export const VISIBLE_ID_CHARS = 6;

/**
 * A session id shortened for logs and error messages: its first few characters and `…`, never
 * the whole id (a session id is a bearer credential). At most a quarter of the id is shown, so
 * short ids give away little: a 32-character id shows 6 characters, a 3-character id none.
 */
export function redactSessionId(sessionId: string): string {
  const id = String(sessionId);
  const visible = Math.min(VISIBLE_ID_CHARS, Math.floor(id.length / 4));
  return `${id.slice(0, visible)}…`;
}
