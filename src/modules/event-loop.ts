/**
 * Lets queued I/O, timers and other requests run before going on: better-sqlite3 answers synchronously, so a long
 * walk of pages or a long computation gives the event loop a turn between its steps.
 */
export const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
