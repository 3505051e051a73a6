/** The Hono environment: what middleware puts on the context for handlers. */
import type { Principal } from '../auth/tokens.ts';

export interface AppEnv {
  Variables: { principal: Principal };
}
