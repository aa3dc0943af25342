// Rendering markdown blocks within a time budget: a long answer that arrives in a few
// large pieces (a fast stream is coalesced) is drawn over several frames instead of
// freezing one. Blocks already rendered are reused; new ones are rendered in order
// until the budget is spent, and the caller asks for another pass for the rest.

export interface BlockPass {
  /** HTML of the first blocks, in order: all of them when `complete`. */
  html: string[];
  complete: boolean;
}

/** Time one pass may spend rendering new blocks, in ms (half a 60 Hz frame). */
export const BLOCK_BUDGET_MS = 8;

export function renderBlocks(
  blocks: string[],
  before: readonly string[],
  beforeHtml: readonly string[],
  render: (block: string) => string,
  budgetMs: number = BLOCK_BUDGET_MS,
  now: () => number = () => performance.now(),
): BlockPass {
  const deadline = now() + budgetMs;
  const html: string[] = [];
  let renderedOne = false;
  for (let index = 0; index < blocks.length; index += 1) {
    const block = blocks[index];
    const cached = beforeHtml[index];
    if (before[index] === block && cached !== undefined) {
      html.push(cached);
      continue;
    }
    // At least one new block per pass, so a pass always makes progress.
    if (renderedOne && now() >= deadline) return { html, complete: false };
    html.push(render(block));
    renderedOne = true;
  }
  return { html, complete: true };
}
