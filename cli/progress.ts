/**
 * The `--download` progress bar: bytes, percentage, rate and ETA, redrawn in
 * place on the terminal (stderr) at most ten times a second, from the chunks
 * as they arrive (no timer to leak). Nothing is drawn when stderr is not a
 * terminal.
 *
 * @module
 */

/** A byte count for people: `512 B`, `1.5 KiB`, `3.2 MiB`. */
export const formatBytes = (n: number): string => {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
};

const clock = (seconds: number): string => {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
};

/** One line of the bar; `total` is `undefined` when the server sent no `Content-Length`. */
export const progressLine = (received: number, total: number | undefined, elapsedMs: number, width = 24): string => {
  const rate = elapsedMs > 0 ? received / (elapsedMs / 1000) : 0;
  const speed = `${formatBytes(Math.round(rate))}/s`;
  if (total === undefined || total <= 0) return `${formatBytes(received)}  ${speed}`;
  const fraction = Math.min(1, received / total);
  const filled = Math.round(fraction * width);
  const bar = `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
  const eta = rate > 0 ? clock((total - received) / rate) : "-:--";
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  return `${bar} ${percent}  ${formatBytes(received)} / ${formatBytes(total)}  ${speed}  ETA ${eta}`;
};

/** Draws the bar on `write` (a terminal); `done` prints the summary line. */
export interface Progress {
  readonly update: (received: number) => void;
  readonly done: (received: number) => void;
}

/** A progress bar that draws on `write`, or nothing when `terminal` is false. */
export const makeProgress = (
  total: number | undefined,
  terminal: boolean,
  write: (text: string) => void,
  now: () => number = () => performance.now(),
): Progress => {
  const started = now();
  let drawn = -Infinity;
  if (!terminal) return { update: () => {}, done: () => {} };
  return {
    update: (received) => {
      const t = now();
      if (t - drawn < 100) return;
      drawn = t;
      write(`\r\x1b[K${progressLine(received, total, t - started)}`);
    },
    done: (received) => {
      const elapsed = now() - started;
      const rate = elapsed > 0 ? received / (elapsed / 1000) : 0;
      write(
        `\r\x1b[K${progressLine(received, total, elapsed)}\nDone. ${formatBytes(received)} in ${
          (elapsed / 1000).toFixed(2)
        } s (${formatBytes(Math.round(rate))}/s)\n`,
      );
    },
  };
};
