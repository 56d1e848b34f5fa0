import { munkres } from 'munkres';

/**
 * Optimal assignment (Hungarian / Munkres, the `munkres` package) on a score
 * matrix `score[row][col]` in [0, 1] (IoU). Pairs below `minScore` are never
 * matched. Returns [row, col] pairs.
 */
export function assign(score: readonly (readonly number[])[], minScore: number): [number, number][] {
  const rows = score.length;
  const cols = score[0]?.length ?? 0;
  if (rows === 0 || cols === 0) return [];
  const FORBIDDEN = 1e6;
  const cost = score.map((row) => row.map((s) => (s >= minScore ? 1 - s : FORBIDDEN)));
  return munkres(cost).filter(([r, c]) => (score[r]?.[c] ?? 0) >= minScore);
}
