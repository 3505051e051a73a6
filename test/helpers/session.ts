/**
 * A scripted operating session against a real gateway: a level change, actions that execute
 * on their own, actions approved, rejected and left pending. It leaves a realistic audit log
 * (decisions, transitions, executions, approvals) for the audit and evidence tests.
 */
import { waitFor, type ActionBody, type TestGateway } from './gateway.ts';

export interface SessionResult {
  executed: string[];
  denied: string[];
  approved: string[];
  rejected: string[];
  pending: string[];
}

export async function scriptedSession(t: TestGateway, rounds = 6): Promise<SessionResult> {
  const result: SessionResult = {
    executed: [],
    denied: [],
    approved: [],
    rejected: [],
    pending: [],
  };
  const propose = async (kind: string, params: Record<string, unknown>): Promise<ActionBody> => {
    const r = await t.api<ActionBody>(t.tokens.agent, 'POST', '/v1/actions', {
      target: 'roaster-1',
      kind,
      params,
      rationale: 'scripted session',
    });
    if (!r.body.action) throw new Error(`proposal failed: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  let lastSeen = '';
  const settled = (id: string) =>
    waitFor(
      async () => {
        const r = await t.api<ActionBody>(t.tokens.agent, 'GET', `/v1/actions/${id}`);
        lastSeen = `${r.body.action.status}: ${JSON.stringify(r.body.action)}`;
        return ['COMPLETED', 'FAILED', 'ABORTED', 'BLOCKED'].includes(r.body.action.status)
          ? r.body
          : undefined;
      },
      10_000,
      `action ${id} to settle`,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}; last seen ${lastSeen}`);
    });

  await t.api(t.tokens.admin, 'PUT', '/v1/autonomy/roaster-1', {
    level: 'L3+',
    reason: 'scripted session',
  });
  for (let i = 0; i < rounds; i++) {
    // The power ramp limit is per second of the gateway's clock.
    t.advance(2000);
    const fast = await propose('roaster.set_power', { value: 40 + i });
    await settled(fast.action.id);
    result.executed.push(fast.action.id);

    const slow = await propose('roaster.set_drum', { rpm: 60 + i });
    await t.api(t.tokens.op1, 'POST', `/v1/actions/${slow.action.id}/approve`, {
      reason: 'drum speed checked',
    });
    await settled(slow.action.id);
    result.approved.push(slow.action.id);

    const no = await propose('roaster.set_drum', { rpm: 50 + i });
    await t.api(t.tokens.op2, 'POST', `/v1/actions/${no.action.id}/reject`, {
      reason: 'not during this phase',
    });
    result.rejected.push(no.action.id);
  }
  const jump = await propose('roaster.set_power', { value: 100 });
  result.denied.push(jump.action.id);
  const left = await propose('roaster.set_drum', { rpm: 66 });
  result.pending.push(left.action.id);
  return result;
}
