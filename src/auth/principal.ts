export const roles = ['user', 'admin'] as const;
export type Role = (typeof roles)[number];

/** The authenticated caller, as established by the auth middleware. */
export interface Principal {
  userId: string;
  role: Role;
  plan: string;
}
