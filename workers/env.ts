/** The bindings cairn reads on Workers; vars and secrets are plain strings. */
export interface Env {
  HYPERDRIVE?: Hyperdrive;
  DATABASE_URL?: string;
  [setting: string]: unknown;
}
