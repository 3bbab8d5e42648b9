import type { Session } from './api.js';

/** Whether the session may act in `role`; `admin` holds every role, as src/core/principal.ts says. */
export function can(session: Session, role: string): boolean {
  return session.roles.includes(role) || session.roles.includes('admin');
}
