/**
 * The operator console end to end: a real gateway (SQLite file, OPA-compiled Wasm policy,
 * simulated roasters), Debian's Chromium through playwright-core, operators and agents
 * acting concurrently. Screenshots for the README are written to docs/console/.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_USERS,
  startTestGateway,
  waitFor,
  type ActionBody,
  type TestGateway,
} from '../../test/helpers/gateway.ts';
import { api, replicaConfig, spawnGateway } from '../../test/helpers/processes.ts';
import { freePort } from '../../test/helpers/net.ts';
import { launch, loginAs } from './browser.ts';

const SHOTS = path.resolve(import.meta.dirname, '../../docs/console');

let t: TestGateway;
let browser: Browser;

beforeAll(async () => {
  t = await startTestGateway(
    {
      targets: [
        // Slow enough that an operator can watch EXECUTING before COMPLETED.
        {
          id: 'roaster-1',
          driver: 'sim-roaster',
          level: 'L3',
          options: { mode: 'RUNNING', latencyMs: 1500 },
        },
        { id: 'roaster-2', driver: 'sim-roaster', level: 'L3', options: { mode: 'OFF' } },
      ],
    },
    { ...DEFAULT_USERS, op3: 'operator' },
  );
  browser = await launch();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

const tok = (name: string): string => {
  const token = t.tokens[name];
  if (!token) throw new Error(`no token ${name}`);
  return token;
};
const propose = (
  token: string,
  target: string,
  kind: string,
  params: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) => t.api<ActionBody>(token, 'POST', '/v1/actions', { target, kind, params, ...extra });
const actionOf = async (id: string) =>
  (
    await t.api<ActionBody & { action: { statusReason: string | null } }>(
      tok('agent'),
      'GET',
      `/v1/actions/${id}`,
    )
  ).body.action;
const roaster = (id: string) => t.gw.services.deps.targets.get(id)!.driver.readState();
const rowStatus = (page: Page, id: string) => page.getAttribute(`#row-${id}`, 'data-status');

async function auditTypes(actionId?: string): Promise<{ type: string; actor: string }[]> {
  let q = t.gw.services.deps.db.selectFrom('audit_log').select(['type', 'actor']);
  if (actionId) q = q.where('action_id', '=', actionId);
  return q.orderBy('seq').execute();
}

describe('operator console', () => {
  it('a proposal appears live, is approved from its card, and runs EXECUTING → COMPLETED on the roaster', async () => {
    const { context, page } = await loginAs(browser, t.gw.url, tok('op1'));
    const r = await propose(
      tok('agent'),
      'roaster-1',
      'roaster.set_power',
      { value: 80 },
      { rationale: 'bean temperature lags the profile by 6 °C', confidence: 0.86 },
    );
    expect(r.body.action.status, JSON.stringify(r.body.decision)).toBe('PENDING_APPROVAL');
    const id = r.body.action.id;
    const proposedAt = Date.now();
    await page.waitForSelector(`#row-${id}`, { timeout: 1000 });
    const appearedMs = Date.now() - proposedAt;
    expect(appearedMs).toBeLessThan(1000);

    const row = page.locator(`#row-${id}`);
    expect(await row.locator('.label').textContent()).toBe('Set burner power to 80 % on roaster-1');
    expect(await row.locator('.pill').textContent()).toContain('High');
    expect(await row.locator('.pill').textContent()).toContain('0.86 (86%)');
    expect(await row.locator('.badge').textContent()).toContain('WARN');
    expect((await row.locator('.approvals').textContent())?.replace(/\s+/g, '')).toBe('0/1');
    await page.screenshot({ path: path.join(SHOTS, 'queue.png') });

    await row.locator('[data-act=open]').click();
    const card = page.locator('#drawer article.card');
    await card.waitFor();
    expect(await card.locator('#card-title').textContent()).toBe(
      'Set burner power to 80 % on roaster-1',
    );
    expect(await card.locator('.rationale').textContent()).toContain('bean temperature lags');
    expect((await card.locator('.rule-path').allTextContents()).length).toBeGreaterThan(0);
    expect(
      await card.locator('section', { hasText: 'Audit trail' }).locator('tbody tr').count(),
    ).toBeGreaterThanOrEqual(3);
    expect(page.url()).toContain(`open=${id}`);
    // Cancel (the action) is nowhere near Close (the card).
    const cancelBox = await card
      .locator('[data-act=cancel]')
      .evaluate((el) => el.getBoundingClientRect().toJSON() as DOMRect);
    const closeBox = await card
      .locator('[data-close-drawer]')
      .evaluate((el) => el.getBoundingClientRect().toJSON() as DOMRect);
    const gap = Math.hypot(cancelBox.x - closeBox.x, cancelBox.y - closeBox.y);
    expect(gap).toBeGreaterThan(150);
    await page.screenshot({ path: path.join(SHOTS, 'card.png') });

    await card.locator('[data-act=approve]').click();
    await page.waitForSelector(`#drawer article.card[data-status="EXECUTING"]`, { timeout: 5000 });
    expect(await rowStatus(page, id)).toBe('EXECUTING');
    await page.waitForSelector(`#drawer article.card[data-status="COMPLETED"]`, {
      timeout: 10_000,
    });
    expect(await rowStatus(page, id)).toBe('COMPLETED');
    expect((await roaster('roaster-1')).power).toBe(80);
    expect(await card.locator('pre.state').textContent()).toContain('"power": 80');
    // The outcome: the state the decision used, before and after the write, and what changed.
    const heads = await card.locator('.state-compare thead th').allTextContents();
    expect(heads).toEqual(['Field', 'Decision used', 'Before the write', 'After the write', 'Now']);
    const power = card.locator('.state-compare tr[data-field="power"]');
    expect(await power.getAttribute('class')).toBe('changed');
    expect((await power.locator('td').allTextContents()).slice(2)).toEqual(['80', '80']);
    expect(await card.locator('.outcome-line').textContent()).toMatch(
      /Result completed.*power \d+ → 80/,
    );

    const trail = await auditTypes(id);
    expect(trail).toContainEqual({ type: 'approval.granted', actor: 'op1' });
    expect(trail.map((x) => x.type)).toEqual(
      expect.arrayContaining(['action.executing', 'action.completed']),
    );
    await context.close();
  });

  it('reject needs a reason; with one, the agent sees REJECTED and the reason', async () => {
    const { context, page } = await loginAs(browser, t.gw.url, tok('op2'));
    const r = await propose(tok('agent'), 'roaster-1', 'roaster.set_fan', { value: 4 });
    const id = r.body.action.id;
    const row = page.locator(`#row-${id}`);
    await row.waitFor({ timeout: 2000 });

    await row.locator('[data-act=reject]').click();
    await page.locator('#reason-dialog').waitFor();
    await page.click('#reason-submit');
    await page.waitForSelector('#reason-error:has-text("reason")');
    expect(await page.locator('#reason-dialog').getAttribute('open')).not.toBeNull();
    expect((await actionOf(id)).status).toBe('PENDING_APPROVAL');
    // The refusal is the server's, not only the form's: a blank reason straight to the API.
    const direct = await page.evaluate(async (url) => {
      const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
        body: JSON.stringify({ reason: '   ' }),
      });
      return {
        status: res.status,
        body: (await res.json()) as { error: { code: string; field?: string } },
      };
    }, `/console/api/actions/${id}/reject`);
    expect(direct.status).toBe(422);
    expect(direct.body.error.field).toBe('reason');

    await page.fill('#reason-text', 'fan already at the profile value');
    await page.click('#reason-submit');
    await page.waitForSelector(`#row-${id}[data-status="REJECTED"]`, { timeout: 2000 });
    const seen = await actionOf(id);
    expect(seen.status).toBe('REJECTED');
    expect(seen.statusReason).toContain('fan already at the profile value');
    expect(await auditTypes(id)).toContainEqual({ type: 'action.rejected', actor: 'op2' });
    await context.close();
  });

  it('a second operator sees the approval count live; the proposer has no Approve button', async () => {
    const first = await loginAs(browser, t.gw.url, tok('op1'));
    const second = await loginAs(browser, t.gw.url, tok('op2'));
    const proposer = await loginAs(browser, t.gw.url, tok('op3'));
    // Preheating is critical: two approvers.
    const r = await propose(tok('op3'), 'roaster-2', 'roaster.preheat', { target_temp: 200 });
    expect(r.body.action.approvals.required).toBe(2);
    const id = r.body.action.id;
    for (const p of [first.page, second.page, proposer.page])
      await p.waitForSelector(`#row-${id}`, { timeout: 2000 });

    expect(await proposer.page.locator(`#row-${id} [data-act=approve]`).count()).toBe(0);
    expect(await proposer.page.locator(`#row-${id} .own-note`).count()).toBe(1);
    expect(await second.page.locator(`#row-${id} [data-act=approve]`).count()).toBe(1);

    await first.page.locator(`#row-${id} [data-act=approve]`).click();
    await second.page.waitForSelector(`#row-${id} .approvals[data-count="1"]`, { timeout: 1000 });
    await proposer.page.waitForSelector(`#row-${id} .approvals[data-count="1"]`, { timeout: 1000 });
    // The first operator counted once and is not offered a second approval.
    await first.page.waitForSelector(`#row-${id} .approvals[data-count="1"]`, { timeout: 1000 });
    expect(await first.page.locator(`#row-${id} [data-act=approve]`).count()).toBe(0);
    // The proposer cannot approve through the console's API either.
    const own = await proposer.page.evaluate(async (url) => {
      const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
      return (
        await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
          body: '{}',
        })
      ).status;
    }, `/console/api/actions/${id}/approve`);
    expect(own).toBe(403);

    await second.page.locator(`#row-${id} [data-act=approve]`).click();
    await proposer.page.waitForSelector(
      `#row-${id}:is([data-status="EXECUTING"], [data-status="COMPLETED"])`,
      { timeout: 5000 },
    );
    for (const s of [first, second, proposer]) await s.context.close();
  });

  it('keyboard: j/k move, o opens, a approves, ! opens the latest high-severity item', async () => {
    const { context, page } = await loginAs(browser, t.gw.url, tok('op1'));
    t.advance(60_000);
    const r = await propose(tok('agent'), 'roaster-1', 'roaster.set_power', { value: 82 });
    const id = r.body.action.id;
    await page.waitForSelector(`#row-${id}`);
    const first = await page.locator('#queue tr.row').first().getAttribute('data-id');
    await page.keyboard.press('j');
    expect(await page.locator('#queue tr.row.selected').getAttribute('data-id')).toBe(first);
    // Focus is visible on the selected row.
    expect(
      await page.evaluate(() => getComputedStyle(document.activeElement as Element).outlineStyle),
    ).not.toBe('none');
    while ((await page.locator('#queue tr.row.selected').getAttribute('data-id')) !== id)
      await page.keyboard.press('j');
    await page.keyboard.press('o');
    await page.waitForSelector(`#drawer article.card[data-id="${id}"]`);
    await page.keyboard.press('Escape');
    await page.waitForSelector('#drawer', { state: 'hidden' });
    await page.keyboard.press('a');
    await waitFor(
      async () => ((await actionOf(id)).status !== 'PENDING_APPROVAL' ? true : undefined),
      3000,
      'the keyboard approval',
    );
    expect(await auditTypes(id)).toContainEqual({ type: 'approval.granted', actor: 'op1' });

    // A denied proposal is an unresolved ERROR: pinned on top, and `!` opens it.
    // roaster-2 is not RUNNING: the baseline's require_state denies it.
    const denied = await propose(tok('agent'), 'roaster-2', 'roaster.set_power', { value: 50 });
    expect(denied.body.action.status, JSON.stringify(denied.body)).toBe('DENIED');
    await page.waitForSelector(`#incidents tr.row[data-id="${denied.body.action.id}"]`);
    expect(await page.locator('#incidents tr.row').first().getAttribute('data-id')).toBe(
      denied.body.action.id,
    );
    await page.keyboard.press('!');
    await page.waitForSelector(`#drawer article.card[data-id="${denied.body.action.id}"]`);
    expect(await page.locator('#drawer .badge').first().textContent()).toContain('ERROR');
    await page.locator('#drawer [data-act=acknowledge]').click();
    await page.waitForSelector(
      `#recent-rows #row-${denied.body.action.id}[data-unresolved="false"]`,
    );
    expect(
      await page.locator(`#incidents tr.row[data-id="${denied.body.action.id}"]`).count(),
    ).toBe(0);
    expect(await auditTypes(denied.body.action.id)).toContainEqual({
      type: 'action.acknowledged',
      actor: 'op1',
    });
    await context.close();
  });

  it('binding: the open card follows the selection, and `a` approves only the action shown, naming it', async () => {
    const { context, page } = await loginAs(browser, t.gw.url, tok('op2'));
    t.advance(60_000);
    const a = (await propose(tok('agent'), 'roaster-1', 'roaster.set_airflow', { value: 55 })).body
      .action;
    const b = (await propose(tok('agent2'), 'roaster-1', 'roaster.set_drum', { rpm: 52 })).body
      .action;
    expect([a.status, b.status]).toEqual(['PENDING_APPROVAL', 'PENDING_APPROVAL']);
    await page.waitForSelector(`#row-${a.id}`);
    await page.waitForSelector(`#row-${b.id}`);
    const order = await page
      .locator('#queue tr.row')
      .evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.id));
    const selected = () => page.locator('#queue tr.row.selected').getAttribute('data-id');
    await page.keyboard.press('j');
    while ((await selected()) !== a.id) await page.keyboard.press('j');
    await page.keyboard.press('o');
    await page.waitForSelector(`#drawer article.card[data-id="${a.id}"]`);
    // Move the selection to B: the card shows B.
    const toward = order.indexOf(b.id) > order.indexOf(a.id) ? 'j' : 'k';
    while ((await selected()) !== b.id) await page.keyboard.press(toward);
    await page.waitForSelector(`#drawer article.card[data-id="${b.id}"]`);
    await page.keyboard.press('a');
    await waitFor(
      async () => ((await actionOf(b.id)).status !== 'PENDING_APPROVAL' ? true : undefined),
      3000,
      'the approval of the action shown',
    );
    expect((await actionOf(a.id)).status).toBe('PENDING_APPROVAL');
    expect(await auditTypes(a.id)).not.toContainEqual({ type: 'approval.granted', actor: 'op2' });
    const banner = (await page.locator('#banner').textContent()) ?? '';
    expect(banner).toContain('roaster-1');
    expect(banner).toMatch(/drum/i);
    expect(banner).toMatch(/52/);
    expect(banner).not.toMatch(/airflow|55/i);

    // A stale card refuses: with its live stream cut, op3's page still shows A as pending after
    // it was rejected; the server refuses the approval and the console shows the current version.
    const other = await loginAs(browser, t.gw.url, tok('op3'));
    await other.page.route('**/console/events', (route) => route.abort());
    await other.page.goto(`${t.gw.url}/console?open=${a.id}`);
    await other.page.waitForSelector(`#drawer article.card[data-id="${a.id}"]`);
    await t.api(tok('op1'), 'POST', `/v1/actions/${a.id}/reject`, { reason: 'not now' });
    await other.page.locator(`#drawer [data-act=approve][data-id="${a.id}"]`).click();
    await other.page.waitForFunction(
      () => document.querySelector('#banner')?.textContent?.includes('current version') === true,
    );
    await other.page.waitForSelector(`#drawer article.card[data-id="${a.id}"] [data-act=approve]`, {
      state: 'detached',
    });
    expect((await actionOf(a.id)).status).toBe('REJECTED');
    await other.context.close();
    await context.close();
  });

  it('triage: one waiting action above fifty grouped denials at 1280×800; filters and search find an action; bulk acknowledge; an L2 recommendation is INFO', async () => {
    const { context, page } = await loginAs(browser, t.gw.url, tok('op1'));
    await page.setViewportSize({ width: 1280, height: 800 });
    t.advance(60_000);
    // roaster-2 is OFF: every set_power on it is denied, for the same reasons each time.
    const denials: string[] = [];
    for (let i = 0; i < 50; i++) {
      const r = await propose(tok('agent2'), 'roaster-2', 'roaster.set_power', { value: 61 });
      expect(r.body.action.status).toBe('DENIED');
      denials.push(r.body.action.id);
    }
    const waiting = (await propose(tok('agent'), 'roaster-1', 'roaster.set_fan', { value: 5 })).body
      .action;
    expect(waiting.status).toBe('PENDING_APPROVAL');
    await page.goto('/console');

    // What needs the operator is first and on screen without scrolling.
    const row = page.locator(`#needs-you #row-${waiting.id}`);
    const bottom = await page.evaluate(
      (id) => document.getElementById(`row-${id}`)?.getBoundingClientRect().bottom ?? Infinity,
      waiting.id,
    );
    expect(await row.count()).toBe(1);
    expect(bottom).toBeLessThanOrEqual(800);
    expect(await row.locator('.deadline').textContent()).toMatch(/expires in \d+m/);

    // The fifty are one row: count, first and last time, one reason.
    const group = page.locator(`#incidents tr.group[data-count="50"]`);
    expect(await group.count()).toBe(1);
    expect(await group.getAttribute('data-id')).toBe(denials.at(-1));
    expect(await group.locator('.times').textContent()).toBe('×50');
    expect(await group.locator('.span').textContent()).toMatch(/\d\d:\d\d:\d\d – \d\d:\d\d:\d\d/);
    const reason = (await group.locator('.reason').textContent()) ?? '';
    expect(reason.length).toBeGreaterThan(0);
    expect([...reason].length).toBeLessThanOrEqual(90);
    // And not fifty rows anywhere on the page.
    expect(await page.locator(`#queue #row-${denials[0]}`).count()).toBe(0);
    await page.screenshot({ path: path.join(SHOTS, 'queue-triage.png') });

    // Filters: target and status, through the form.
    await page.fill('#recent-filter [name=target]', 'roaster-2');
    await page.selectOption('#recent-filter [name=status]', 'DENIED');
    await page.click('#recent-filter button[type=submit]');
    await page.waitForURL(/target=roaster-2/);
    const listed = await page
      .locator('#recent-rows tr.row')
      .evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.id));
    expect(listed.length).toBe(50);
    expect(listed).toContain(denials[0]);
    expect(listed).not.toContain(waiting.id);
    // Search finds one action by its id; paging reaches the oldest of a longer list.
    await page.goto(`/console?q=${denials[17]}`);
    expect(
      await page
        .locator('#recent-rows tr.row')
        .evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.id)),
    ).toEqual([denials[17]]);
    const recentIds = () =>
      page
        .locator('#recent-rows tr.row')
        .evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.id ?? ''));
    await page.goto('/console?proposer=agent2');
    const first = await recentIds();
    expect(first).toHaveLength(50);
    await page.click('#older');
    await page.waitForURL(/cursor=/);
    const second = await recentIds();
    expect(second.length).toBeGreaterThan(0);
    expect(second.filter((id) => first.includes(id))).toEqual([]);
    // A filter that cannot parse is named, and the rest of the page still works.
    await page.goto('/console?status=EXPLODED&target=roaster-2');
    expect(await page.locator('#filter-notices').textContent()).toContain('status');

    // Bulk acknowledge, audited once per action with the person.
    await page.goto('/console');
    await group.locator('[data-act=acknowledge-group]').click();
    await page.waitForSelector('#incidents tr.group[data-count="50"]', { state: 'detached' });
    expect(await page.locator('#banner').textContent()).toContain('Acknowledged 50');
    const acks = await t.gw.services.deps.db
      .selectFrom('audit_log')
      .select(['action_id', 'actor'])
      .where('type', '=', 'action.acknowledged')
      .where('action_id', 'in', denials)
      .execute();
    expect(acks).toHaveLength(50);
    expect(new Set(acks.map((a) => a.actor))).toEqual(new Set(['op1']));

    // At L2 a proposal is a recommendation: INFO, not an incident.
    const put = (level: string) =>
      t.api(tok('admin'), 'PUT', '/v1/autonomy/roaster-1', { level, reason: 'triage test' });
    expect((await put('L2')).status).toBe(200);
    const rec = (await propose(tok('agent'), 'roaster-1', 'roaster.set_fan', { value: 6 })).body
      .action;
    expect((await put('L3')).status).toBe(200);
    await page.waitForSelector(`#recent-rows #row-${rec.id}`);
    const recRow = page.locator(`#row-${rec.id}`);
    expect(await recRow.getAttribute('data-severity')).toBe('INFO');
    expect(await recRow.locator('.status').textContent()).toBe('Recommendation');
    expect(await page.locator(`#incidents tr.row[data-id="${rec.id}"]`).count()).toBe(0);
    await context.close();
  });

  it('decision cards: a window of decisions, filtered by effect, rule, kind and target, sorted by latency, each opening its reasons and constraints inline', async () => {
    const { context, page } = await loginAs(browser, t.gw.url, tok('op1'));
    const denied = (await propose(tok('agent'), 'roaster-2', 'roaster.set_power', { value: 62 }))
      .body;
    expect(denied.action.status).toBe('DENIED');
    const held = (await propose(tok('agent'), 'roaster-1', 'roaster.set_fan', { value: 4 })).body;
    expect(held.action.status).toBe('PENDING_APPROVAL');
    await page.goto('/console/decisions?minutes=60');
    const cards = page.locator('#decision-cards details.dcard');
    const all = await cards.evaluateAll((els) =>
      els.map((e) => (e as HTMLElement).dataset.decision),
    );
    expect(all).toContain((held.decision as { id?: string }).id);
    expect(all).toContain((denied.decision as { id?: string }).id);

    await page.selectOption('#decision-filter [name=effect]', 'deny');
    await page.fill('#decision-filter [name=target]', 'roaster-2');
    await page.fill('#decision-filter [name=kind]', 'roaster.set_power');
    await page.click('#decision-filter button[type=submit]');
    await page.waitForURL(/effect=deny/);
    const effects = await cards.evaluateAll((els) =>
      els.map((e) => (e as HTMLElement).dataset.effect),
    );
    expect(effects.length).toBeGreaterThan(0);
    expect(new Set(effects)).toEqual(new Set(['deny']));
    expect(await cards.locator('.dtarget').allTextContents()).not.toContain(' on roaster-1');

    // A rule filter is a prefix: "baseline" keeps every card with a baseline rule.
    const firstRule = (await cards.first().locator('.drule').textContent()) ?? '';
    await page.goto(
      `/console/decisions?minutes=60&rule=${encodeURIComponent(firstRule.split('.')[0]!)}`,
    );
    for (const rule of await cards.locator('.drule').allTextContents())
      expect(rule.startsWith(firstRule.split('.')[0]!)).toBe(true);

    // Sorted by latency, slowest first, then fastest first.
    await page.goto('/console/decisions?minutes=60');
    await page.click('a.sort[data-sort=latency]');
    await page.waitForURL(/sort=latency/);
    const latencies = async () =>
      cards.evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.latency)));
    const desc = await latencies();
    expect(desc).toEqual([...desc].sort((a, b) => b - a));
    await page.click('a.sort[data-sort=latency]');
    await page.waitForURL(/dir=asc/);
    const asc = await latencies();
    expect(asc).toEqual([...asc].sort((a, b) => a - b));

    // Opening one shows its reasons, rules and constraints inline.
    await page.goto(`/console/decisions?minutes=60&target=roaster-2&effect=deny`);
    const card = cards.first();
    await card.locator('summary').click();
    expect(await card.locator('.reasons li').first().isVisible()).toBe(true);
    expect(await card.locator('.dbody').textContent()).toContain('require_state');
    await page.screenshot({ path: path.join(SHOTS, 'decision-cards.png') });
    // A value that does not parse is named, not a failure.
    await page.goto('/console/decisions?minutes=abc&effect=maybe');
    expect(await page.locator('#filter-notices').textContent()).toMatch(
      /minutes[\s\S]*effect|effect[\s\S]*minutes/,
    );
    await context.close();
  });

  it('policy impact (admins): edit autonomy.yaml in the page, replay the recorded decisions, see the loosening; operators do not get the page', async () => {
    const held = await t.api<{ effect: string }>(tok('agent'), 'POST', '/v1/decisions', {
      target: 'roaster-1',
      kind: 'roaster.set_drum',
      params: { rpm: 40 },
    });
    expect(held.body.effect).toBe('require_approval');

    const op = await loginAs(browser, t.gw.url, tok('op1'));
    expect(await op.page.locator('nav a:has-text("Policy impact")').count()).toBe(0);
    const refused = await op.page.goto('/console/policy-impact');
    expect(refused?.status()).toBe(403);
    await op.context.close();

    const { context, page } = await loginAs(browser, t.gw.url, tok('admin'));
    await page.click('nav a:has-text("Policy impact")');
    await page.waitForSelector('#impact-form');
    expect(await page.locator('#impact-form label[for=impact-content]').textContent()).toBe(
      'policies/autonomy.yaml',
    );
    const text = await page.inputValue('#impact-content');
    expect(text).toContain('    L3+:');
    // set_drum becomes automatic from L3 (it is automatic from L4 today).
    await page.fill(
      '#impact-content',
      text.replace('    L3+:', '    L3: [roaster.set_drum]\n    L3+:'),
    );
    await Promise.all([page.waitForSelector('#impact-result'), page.click('#impact-form button')]);
    expect(await page.getAttribute('#impact-result', 'data-ok')).toBe('false');
    const drum = page.locator('table[data-by=kind] tr:has(th:text-is("roaster.set_drum")) td');
    expect(Number(await drum.first().textContent())).toBeGreaterThanOrEqual(1);
    await page.locator('.impact-examples[data-direction=loosened] summary').first().click();
    expect(
      await page.locator('.impact-examples[data-direction=loosened] pre').first().textContent(),
    ).toContain('"kind": "roaster.set_drum"');
    await page.screenshot({ path: path.join(SHOTS, 'policy-impact.png'), fullPage: false });
    // Nothing was loaded: the running policy still holds set_drum.
    const still = await t.api<{ effect: string }>(tok('agent'), 'POST', '/v1/decisions', {
      target: 'roaster-1',
      kind: 'roaster.set_drum',
      params: { rpm: 40 },
    });
    expect(still.body.effect).toBe('require_approval');
    // A candidate that does not compile says where.
    await page.fill('#impact-content', 'autonomy: [unclosed');
    await Promise.all([
      page.waitForSelector('#impact-result[data-ok=false] h2:has-text("does not compile")'),
      page.click('#impact-form button'),
    ]);
    await context.close();
  });

  it('handoff report: the window’s actions with their approver, Markdown and JSON downloads; a bad window names its field', async () => {
    const held = await propose(tok('agent'), 'roaster-1', 'roaster.set_drum', { rpm: 35 });
    const id = held.body.action.id;
    expect(held.body.action.status).toBe('PENDING_APPROVAL');
    await t.api(tok('op1'), 'POST', `/v1/actions/${id}/approve`, { reason: 'for the report' });

    const { context, page } = await loginAs(browser, t.gw.url, tok('op2'));
    await page.click('nav a:has-text("Handoff")');
    await page.waitForSelector('#report-page');
    const row = page.locator(`tr[data-action="${id}"]`);
    expect(await row.locator('td').nth(1).textContent()).toBe('roaster.set_drum');
    expect(await row.locator('td').nth(4).textContent()).toBe('op1');
    expect(
      await page.locator('[data-section=approvals-and-refusals] li', { hasText: id }).count(),
    ).toBe(1);
    await page.screenshot({ path: path.join(SHOTS, 'handoff-report.png'), fullPage: false });
    const md = await page.request.get('/console/report.md?from=1h');
    expect(md.headers()['content-type']).toContain('text/markdown');
    expect(await md.text()).toContain(id);
    const json = (await (await page.request.get('/console/report.json?from=1h')).json()) as {
      actions: { id: string; approved_by: string[] }[];
    };
    expect(json.actions.find((a) => a.id === id)?.approved_by).toEqual(['op1']);
    const bad = await page.goto('/console/report?from=yesterday');
    expect(bad?.status()).toBe(400);
    expect(await page.locator('#report-error').textContent()).toContain('from');
    await context.close();
  });

  it('layout and keys: no horizontal overflow at 1280×800 or 390×844, drawer open or closed; `?` lists the keys; Ctrl+Enter submits a reason; SVG icons and a favicon', async () => {
    const { context, page } = await loginAs(browser, t.gw.url, tok('op2'));
    t.advance(60_000);
    const pending = (await propose(tok('agent'), 'roaster-1', 'roaster.set_power', { value: 35 }))
      .body.action;
    await page.waitForSelector(`#row-${pending.id}`);
    const overflow = () =>
      page.evaluate(() => document.scrollingElement!.scrollWidth - window.innerWidth);
    for (const size of [
      { width: 1280, height: 800 },
      { width: 390, height: 844 },
    ]) {
      await page.setViewportSize(size);
      await page.goto('/console');
      await page.waitForSelector(`#row-${pending.id}`);
      expect(await overflow(), `${size.width}px, drawer closed`).toBeLessThanOrEqual(0);
      await page.click(`#row-${pending.id}`);
      await page.keyboard.press('o');
      await page.waitForSelector(`#drawer article.card[data-id="${pending.id}"]`);
      expect(await overflow(), `${size.width}px, drawer open`).toBeLessThanOrEqual(0);
      await page.keyboard.press('Escape');
    }
    await page.setViewportSize({ width: 1280, height: 800 });

    // `?` lists the keys.
    await page.keyboard.press('?');
    await page.waitForSelector('#keys-dialog[open]');
    expect(await page.textContent('#keys-dialog')).toContain('Ctrl+Enter');
    await page.keyboard.press('Escape');
    await page.waitForSelector('#keys-dialog', { state: 'hidden' });

    // `r` on the selected row asks for a reason; Ctrl+Enter submits it.
    await page.click(`#row-${pending.id}`);
    await page.keyboard.press('r');
    await page.waitForSelector('#reason-dialog[open]');
    await page.fill('#reason-text', 'not at this temperature');
    await page.keyboard.press('Control+Enter');
    await waitFor(
      async () => ((await actionOf(pending.id)).status === 'REJECTED' ? true : undefined),
      3000,
      'the rejection submitted with Ctrl+Enter',
    );

    // Icons are inline SVG (no emoji font needed); the favicon is served.
    expect(await page.locator('.badge svg.icon').count()).toBeGreaterThan(0);
    const icon = await fetch(`${t.gw.url}/favicon.ico`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toContain('image/svg+xml');
    await context.close();
  });

  it('Status re-reads the state of a target that changes with no lifecycle event', async () => {
    const { context, page } = await loginAs(browser, t.gw.url, tok('auditor'));
    await page.goto('/console/status');
    // Connected, and the one refresh the stream's `hello` triggers has landed.
    await page.waitForSelector('body[data-live="true"]');
    await page.waitForTimeout(1_000);
    const cell = page.locator('pre[data-state-of="roaster-2"]');
    const before = await cell.textContent();
    // Someone at the machine's own panel: the driver is told directly, so nothing is proposed,
    // decided or executed through the gateway, and no lifecycle event says the state changed.
    const panel = t.gw.services.deps.targets.get('roaster-2')!.driver;
    const state = await panel.readState();
    const off = state['mode'] === 'OFF';
    await panel.writeCommand(
      off
        ? { id: 'panel-1', kind: 'roaster.preheat', params: { target_temp: 180 } }
        : { id: 'panel-1', kind: 'roaster.set_fan', params: { value: state['fan'] === 3 ? 4 : 3 } },
      { signal: new AbortController().signal, idempotencyKey: 'panel-1' },
    );
    await page.waitForFunction(
      (was) => document.querySelector('pre[data-state-of="roaster-2"]')?.textContent !== was,
      before,
      { timeout: 3_000 },
    );
    await context.close();
  });

  it('refuses a state change without the CSRF token, a cross-site form post, and an agent token at login', async () => {
    const { context, page } = await loginAs(browser, t.gw.url, tok('op2'));
    const r = await propose(tok('agent'), 'roaster-1', 'roaster.set_fan', { value: 4 });
    const id = r.body.action.id;
    const forged = await page.evaluate(async (url) => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      return {
        status: res.status,
        body: (await res.json()) as { error: { code: string; field?: string } },
      };
    }, `/console/api/actions/${id}/approve`);
    expect(forged.status).toBe(403);
    expect(forged.body.error.code).toBe('csrf_failed');
    expect((await actionOf(id)).status).toBe('PENDING_APPROVAL');
    expect(await auditTypes()).toContainEqual({ type: 'console.csrf_refused', actor: 'op2' });

    // The session cookie is HttpOnly and SameSite=Strict.
    const cookie = (await context.cookies()).find((c) => c.name === 'interlock_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/console' });
    expect(await page.evaluate(() => document.cookie)).not.toContain('interlock_session');

    // A form posted from another origin, even with the victim's cookie, is refused.
    const crossSite = await context.request.post(`${t.gw.url}/console/logout`, {
      headers: {
        origin: 'http://evil.example',
        'content-type': 'application/x-www-form-urlencoded',
      },
      data: '_csrf=x',
    });
    expect(crossSite.status()).toBe(403);

    // An agent token cannot log in: no session cookie, the console stays closed.
    const agentContext = await browser.newContext({ baseURL: t.gw.url });
    const agentPage = await agentContext.newPage();
    await agentPage.goto('/console/login');
    await agentPage.fill('#token', tok('agent'));
    await agentPage.click('button[type=submit]');
    await agentPage.waitForSelector('#login-error');
    expect(await agentPage.locator('#login-error').textContent()).toContain('role agent');
    expect(
      (await agentContext.cookies()).find((c) => c.name === 'interlock_session'),
    ).toBeUndefined();
    await agentPage.goto('/console');
    expect(new URL(agentPage.url()).pathname).toBe('/console/login');
    // Refusals are audited per client per window; flush the open window to read it now.
    await t.gw.flushLoginRefusals();
    expect(await auditTypes()).toContainEqual({ type: 'console.login_refused', actor: 'agent' });
    await agentContext.close();
    await context.close();
  });

  it('serves a strict Content-Security-Policy and no inline script; controls are labelled and contrast passes AA', async () => {
    const { context, page } = await loginAs(browser, t.gw.url, tok('op1'));
    const res = await page.goto('/console');
    const csp = res?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res?.headers()['x-frame-options']).toBe('DENY');
    expect(await page.locator('script:not([src])').count()).toBe(0);
    expect(await page.locator('[style]').count()).toBe(0);

    await page.waitForSelector('#queue tr.row');
    const problems = await page.evaluate(() => {
      const out: string[] = [];
      const named = (el: Element): boolean => {
        const h = el as HTMLElement;
        if ((h.getAttribute('aria-label') ?? '').trim()) return true;
        if ((h.textContent ?? '').trim()) return true;
        // An input inside its <label> is named by the label's text.
        if ((h.closest('label')?.textContent ?? '').trim()) return true;
        const id = h.id;
        return id !== '' && document.querySelector(`label[for="${id}"]`) !== null;
      };
      for (const el of document.querySelectorAll(
        'button, a[href], input:not([type=hidden]), textarea, select',
      ))
        if (!named(el)) out.push(`unlabelled ${el.outerHTML.slice(0, 80)}`);
      const rgb = (s: string): number[] => (s.match(/\d+(\.\d+)?/g) ?? []).map(Number);
      const lum = (c: number[]): number => {
        const [r, g, b] = c.slice(0, 3).map((v) => {
          const x = v / 255;
          return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * (r ?? 0) + 0.7152 * (g ?? 0) + 0.0722 * (b ?? 0);
      };
      const bgOf = (el: Element | null): number[] => {
        for (let e = el; e; e = e.parentElement) {
          const c = rgb(getComputedStyle(e).backgroundColor);
          if (c.length === 3 || (c.length === 4 && c[3] !== 0)) return c;
        }
        return [255, 255, 255];
      };
      for (const el of document.querySelectorAll(
        '.badge, .pill, .status, button, .btn-quiet, .label, .headline, .estop-ok, th, td',
      )) {
        const fg = lum(rgb(getComputedStyle(el).color));
        const bg = lum(bgOf(el));
        const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
        if (ratio < 4.5) out.push(`contrast ${ratio.toFixed(2)} on ${el.className || el.tagName}`);
      }
      return out;
    });
    expect(problems).toEqual([]);
    await context.close();
  });

  it('emergency stop from the console: blast radius, roaster safe, pending rows CANCELLED within 1 s; rearm needs a reason', async () => {
    const { context, page } = await loginAs(browser, t.gw.url, tok('op1'));
    const pending = [
      (await propose(tok('agent'), 'roaster-1', 'roaster.set_drum', { rpm: 70 })).body.action.id,
      (await propose(tok('agent2'), 'roaster-1', 'roaster.set_airflow', { value: 35 })).body.action
        .id,
    ];
    for (const id of pending)
      await page.waitForSelector(`#row-${id}[data-status="PENDING_APPROVAL"]`);

    await page.click('#estop-open');
    await page.waitForSelector('#estop-dialog[open] #estop-radius:has-text("all 2 target(s)")');
    const radius = await page.locator('#estop-radius').textContent();
    expect(radius).toContain('roaster-1');
    expect(radius).toContain('roaster-2');
    await page.screenshot({ path: path.join(SHOTS, 'estop-dialog.png') });

    const clicked = Date.now();
    await page.click('#estop-confirm');
    for (const id of pending)
      await page.waitForSelector(`#row-${id}[data-status="CANCELLED"]`, { timeout: 1000 });
    expect(Date.now() - clicked).toBeLessThan(1000);
    const state = await roaster('roaster-1');
    expect(state.power).toBe(0);
    await page.waitForSelector('#estop-state.estop-banner');
    expect(await auditTypes()).toContainEqual({ type: 'estop.engaged', actor: 'op1' });

    // Status shows the stop; rearming asks for a reason and caps levels.
    await page.goto('/console/status');
    await page.locator('[data-act=rearm]').click();
    await page.click('#reason-submit');
    await page.waitForSelector('#reason-error:has-text("reason")');
    await page.fill('#reason-text', 'drum inspected, smoke source removed');
    await page.click('#reason-submit');
    await page.waitForSelector('#estop-state.estop-ok');
    expect((await t.api<{ engaged: boolean }>(tok('op1'), 'GET', '/v1/estop')).body.engaged).toBe(
      false,
    );
    expect(await auditTypes()).toContainEqual({ type: 'estop.rearmed', actor: 'op1' });

    // Safe mode per target from the status page.
    await page
      .locator('tr[data-target="roaster-2"] [data-act=set-level]', { hasText: 'Enter safe mode' })
      .click();
    await page.fill('#reason-text', 'new operator on shift');
    await page.click('#reason-submit');
    await page.waitForSelector('tr[data-target="roaster-2"] .level:has-text("L2")');
    expect(
      (await t.api<{ level: string }>(tok('op1'), 'GET', '/v1/autonomy/roaster-2')).body.level,
    ).toBe('L2');

    // The timeline puts the stop among incidents/interventions and the rearm under recovery.
    await page.goto('/console/timeline?minutes=15');
    const lanes = await page.locator('.timeline-list tbody tr').allTextContents();
    expect(
      lanes.some((l) => l.includes('Interventions') && l.includes('Emergency stop engaged by op1')),
    ).toBe(true);
    expect(lanes.some((l) => l.includes('Recovery') && l.includes('Rearmed by op1'))).toBe(true);
    await page.screenshot({ path: path.join(SHOTS, 'timeline.png'), fullPage: false });
    await context.close();
  });
});

describe('a way back, from the console', () => {
  let g: TestGateway;
  beforeAll(async () => {
    g = await startTestGateway({
      targets: [
        {
          id: 'roaster-7',
          driver: 'sim-roaster',
          level: 'L3+',
          // The controller refuses three writes (a breaker trips); time runs 60× so a stopped
          // roaster cools to OFF in seconds instead of minutes.
          options: { mode: 'RUNNING', latencyMs: 150, timeScale: 60, faults: { rejectWrites: 3 } },
        },
      ],
      governance: { breakerIntervalMs: 3_600_000 },
    });
  }, 120_000);
  afterAll(async () => {
    await g?.close();
  });

  const token = (name: string): string => g.tokens[name] ?? '';
  type Full = ActionBody['action'] & { kind: string; params: Record<string, unknown> };
  const actionAt = async (id: string): Promise<Full> =>
    (await g.api<{ action: Full }>(token('agent'), 'GET', `/v1/actions/${id}`)).body.action;
  const settled = (id: string, not: string[]) =>
    waitFor(
      async () => {
        const a = await actionAt(id);
        return not.includes(a.status) ? undefined : a;
      },
      15_000,
      `action ${id} to settle`,
    );
  const audit = () =>
    g.gw.services.deps.db
      .selectFrom('audit_log')
      .select(['type', 'actor', 'action_id'])
      .orderBy('seq')
      .execute();

  it('an administrator resolves the tripped breakers from Status with a reason; an operator proposes a rollback from a card, and it is decided like any action', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 4; i++)
      ids.push(
        (
          await g.api<ActionBody>(token('agent'), 'POST', '/v1/actions', {
            target: 'roaster-7',
            kind: 'roaster.set_power',
            params: { value: 40 },
          })
        ).body.action.id,
      );
    await settled(ids[3]!, ['APPROVED', 'EXECUTING']);

    const admin = await loginAs(browser, g.gw.url, token('admin'));
    await admin.page.goto('/console/status');
    const breakers = admin.page.locator('tr[data-target="roaster-7"] .breaker');
    await breakers.first().waitFor();
    const rules = await breakers.evaluateAll((els) =>
      els.map((e) => (e as HTMLElement).dataset.rule),
    );
    expect(rules.sort()).toEqual(['high_error_rate', 'repeated_failures']);
    expect(await breakers.first().locator('.breaker-facts').textContent()).toMatch(
      /Tripped \d\d:\d\d:\d\d: \d+ failed of \d+ runs.*leaves the window at \d\d:\d\d:\d\d/,
    );
    await admin.page.screenshot({ path: path.join(SHOTS, 'status-breakers.png') });
    for (const rule of rules) {
      await admin.page.locator(`.breaker[data-rule="${rule}"] [data-act=resolve-breaker]`).click();
      // A reason is required.
      await admin.page.click('#reason-submit');
      await admin.page.waitForSelector('#reason-error:has-text("reason")');
      await admin.page.fill('#reason-text', 'controller firmware restarted; writes verified');
      await admin.page.click('#reason-submit');
      await admin.page.waitForSelector(`.breaker[data-rule="${rule}"]`, { state: 'detached' });
    }
    const who = (await admin.page.locator('.who').textContent())?.split(' ')[0] ?? '';
    const resolved = (await audit()).filter((r) => r.type === 'breaker.resolved');
    expect(resolved).toHaveLength(2);
    expect(new Set(resolved.map((r) => r.actor))).toEqual(new Set([who]));
    await admin.context.close();

    // A write that completes has a checkpoint; its card proposes the rollback.
    const before = (await g.gw.services.deps.targets.get('roaster-7')!.driver.readState()).fan;
    const fan = (
      await g.api<ActionBody>(token('agent'), 'POST', '/v1/actions', {
        target: 'roaster-7',
        kind: 'roaster.set_fan',
        params: { value: before === 7 ? 8 : 7 },
      })
    ).body.action;
    expect(fan.status).toBe('PENDING_APPROVAL');
    expect((await g.api(token('op2'), 'POST', `/v1/actions/${fan.id}/approve`, {})).status).toBe(
      200,
    );
    expect((await settled(fan.id, ['APPROVED', 'EXECUTING'])).status).toBe('COMPLETED');

    const op = await loginAs(browser, g.gw.url, token('op1'));
    await op.page.goto(`/console?open=${fan.id}`);
    const propose = op.page.locator(`#drawer [data-act=propose-rollback][data-id="${fan.id}"]`);
    await propose.click();
    // The drawer moves to the rollback's own card; what it says is asserted next, by name.
    await op.page
      .locator(`#drawer article.card:not([data-id="${fan.id}"])`)
      .or(op.page.locator('#banner.banner-error'))
      .first()
      .waitFor();
    expect(await op.page.locator('#banner').textContent()).toContain('Rollback proposed');
    const card = op.page.locator('#drawer article.card');
    const rollbackId = await card.getAttribute('data-id');
    expect(rollbackId).not.toBe(fan.id);
    expect(await card.getAttribute('data-status')).toBe('PENDING_APPROVAL');
    const rb = await actionAt(rollbackId!);
    // The rollback names the values it sets, so the policy and the invariants decide on them.
    expect([rb.kind, rb.proposer, rb.params]).toEqual([
      'roaster.rollback',
      'op1',
      {
        checkpoint: (await actionAt(fan.id)).outcome?.checkpoint,
        power: expect.any(Number),
        fan: before,
        drum_rpm: expect.any(Number),
        airflow: expect.any(Number),
      },
    ]);
    // The proposer cannot approve it; it is critical: two other people must.
    expect(await op.page.locator('#drawer [data-act=approve]').count()).toBe(0);
    for (const who of ['op2', 'admin'])
      expect((await g.api(token(who), 'POST', `/v1/actions/${rb.id}/approve`, {})).status).toBe(
        200,
      );
    expect((await settled(rb.id, ['APPROVED', 'EXECUTING'])).status).toBe('COMPLETED');
    expect((await g.gw.services.deps.targets.get('roaster-7')!.driver.readState()).fan).toBe(
      before,
    );
    expect(await audit()).toContainEqual({
      type: 'action.proposed',
      actor: 'op1',
      action_id: rb.id,
    });
    await op.context.close();
  });

  it('after an emergency stop the roaster cools back to OFF on its own, and preheat is allowed again after the rearm', async () => {
    const { context, page } = await loginAs(browser, g.gw.url, token('op1'));
    await page.click('#estop-open');
    await page.waitForSelector('#estop-dialog[open] #estop-radius');
    await page.click('#estop-confirm');
    await page.waitForSelector('#estop-state.estop-banner');
    const driver = g.gw.services.deps.targets.get('roaster-7')!.driver;
    expect((await driver.readState()).mode).toBe('COOLING');
    await waitFor(
      async () => ((await driver.readState()).mode === 'OFF' ? true : undefined),
      20_000,
      'the roaster to cool to OFF',
    );
    await page.goto('/console/status');
    await page.locator('[data-act=rearm]').click();
    await page.fill('#reason-text', 'roaster inspected after the stop');
    await page.click('#reason-submit');
    await page.waitForSelector('#estop-state.estop-ok');
    const preheat = (
      await g.api<ActionBody>(token('agent'), 'POST', '/v1/actions', {
        target: 'roaster-7',
        kind: 'roaster.preheat',
        params: { target_temp: 200 },
      })
    ).body;
    expect(preheat.action.status, JSON.stringify(preheat.decision)).toBe('PENDING_APPROVAL');
    // Preheat is high risk: as many approvals as the policy asks for, from different people.
    for (const who of ['op2', 'op1'])
      if ((await actionAt(preheat.action.id)).status === 'PENDING_APPROVAL')
        expect(
          (await g.api(token(who), 'POST', `/v1/actions/${preheat.action.id}/approve`, {})).status,
        ).toBe(200);
    expect((await settled(preheat.action.id, ['APPROVED', 'EXECUTING'])).status).toBe('COMPLETED');
    expect((await driver.readState()).mode).toBe('PREHEATING');
    await context.close();
  });
});

describe('a console whose gateway dies', () => {
  it('says the page may be stale within 3 s of losing the gateway, and stops saying it once it is back; the title counts what waits', async () => {
    // A real process on a fixed port, killed with SIGKILL and started again on the same
    // database: the browser's event stream reconnects by itself.
    const setup = replicaConfig({
      databaseUrl: `sqlite:${path.join(mkdtempSync(path.join(tmpdir(), 'interlock-dies-')), 'db.sqlite')}`,
      targets: [
        { id: 'roaster-1', driver: 'sim-roaster', level: 'L3', options: { mode: 'RUNNING' } },
      ],
    });
    const port = await freePort();
    let gw = await spawnGateway(setup.configFile, {}, port);
    const admin = gw.adminToken!;
    const { context, page } = await loginAs(browser, gw.url, admin);
    try {
      expect(await page.title()).toBe('Queue · Interlock');
      expect(await page.isHidden('#connection-lost')).toBe(true);

      // A proposal that waits for a person shows in the title.
      const agentToken = (
        await api<{ token: string }>(gw.url, admin, 'POST', '/v1/tokens', {
          name: 'agent-dies',
          role: 'agent',
        })
      ).body.token;
      await api(gw.url, agentToken, 'POST', '/v1/actions', {
        kind: 'roaster.set_power',
        target: 'roaster-1',
        params: { value: 40 },
      });
      await page.waitForFunction(() => document.title === '(1) Queue · Interlock', null, {
        timeout: 5_000,
      });

      const killedAt = Date.now();
      await gw.kill();
      await page.waitForSelector('#connection-lost', { state: 'visible', timeout: 3_000 });
      expect(Date.now() - killedAt).toBeLessThan(3_000);
      expect(await page.textContent('#connection-lost')).toContain(
        'Connection lost — what you see may be stale',
      );

      gw = await spawnGateway(setup.configFile, {}, port);
      await page.waitForSelector('#connection-lost', { state: 'hidden', timeout: 15_000 });
      expect(await page.getAttribute('body', 'data-live')).toBe('true');
      expect(await page.title()).toBe('(1) Queue · Interlock');
    } finally {
      await context.close();
      await gw.stop();
      rmSync(setup.dir, { recursive: true, force: true });
    }
  }, 90_000);
});
