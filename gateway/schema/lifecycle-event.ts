/** One lifecycle event, as live subscribers (the console's stream, other replicas) receive it. */
export interface LifecycleEvent {
  type: string;
  actionId?: string;
  target?: string;
  status?: string;
  at: number;
  detail?: Record<string, unknown>;
}
