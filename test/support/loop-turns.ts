/**
 * Counts the event loop's turns (its check phase) from now until `stop()`: a long piece of work that gives the loop a
 * turn between its steps lets the count move while it runs; one stretch of synchronous statements does not.
 */
export function countLoopTurns(): { readonly turns: number; stop(): void } {
  let turns = 0;
  let counting = true;
  const count = () => {
    turns += 1;
    if (counting) setImmediate(count);
  };
  setImmediate(count);
  return {
    get turns() {
      return turns;
    },
    stop() {
      counting = false;
    },
  };
}
