/**
 * One timed proposal over HTTP, as the gateway, soak and replica benchmarks send it: a cooling
 * cycle held for approval.
 */

/**
 * Proposes the i-th cooling cycle (agent and target chosen round-robin); resolves to its latency in
 * µs.
 */
export async function proposeCoolingCycle(
  url: string,
  agentTokens: readonly string[],
  targets: number,
  i: number,
): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/actions`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${agentTokens[i % agentTokens.length]}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({
      kind: 'roaster.cooling_cycle',
      target: `roaster-${(i % targets) + 1}`,
      params: { duration_s: 120 },
    }),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`propose returned ${res.status}: ${text.slice(0, 200)}`);
  return (performance.now() - t0) * 1000;
}
