/** An environment snapshot; `process.env` satisfies it. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Reads an environment variable like the official SDK: trimmed, and an empty value counts as unset. */
export function readEnv(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}
