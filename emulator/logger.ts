/**
 * The emulator's one logger (STYLE.md rule 19), `azure-byok:emulator`, its level from
 * `AZURE_BYOK_LOG_LEVEL` (error, warn, info; default warn). Lines carry the request id; they
 * name kids, statuses and codes, never key bytes, tokens or bodies.
 *
 * @module
 */
const LEVELS = { error: 0, warn: 1, info: 2 } as const;
type Level = keyof typeof LEVELS;

function threshold(): number {
  const value = process.env.AZURE_BYOK_LOG_LEVEL?.toLowerCase();
  return value !== undefined && value in LEVELS ? LEVELS[value as Level] : LEVELS.warn;
}

function write(level: Level, message: string): void {
  if (LEVELS[level] <= threshold())
    process.stderr.write(`azure-byok:emulator ${level} ${message}\n`);
}

export const logger = {
  error: (message: string): void => {
    write("error", message);
  },
  warn: (message: string): void => {
    write("warn", message);
  },
  info: (message: string): void => {
    write("info", message);
  },
};
