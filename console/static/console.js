// The console's only script. It follows the gateway's live event stream and swaps in
// server-rendered fragments; every state change is a same-origin POST carrying the
// session's CSRF token. No inline script anywhere: the Content-Security-Policy forbids it.

const meta = (name) =>
  document.querySelector(`meta[name="${name}"]`)?.getAttribute('content') ?? '';
const csrf = meta('csrf-token');
const page = meta('page');
const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

// --- talking to the gateway ---------------------------------------------------

async function post(url, body) {
  const res = await fetch(url, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
    body: JSON.stringify(body ?? {}),
  });
  const data = await res.json().catch(() => ({}));
  if (res.status === 401)
    location.href = `/console/login?next=${encodeURIComponent(location.pathname + location.search)}`;
  if (!res.ok) throw new Error(data?.error?.message ?? `the gateway answered ${res.status}`);
  return data;
}

async function fragment(url) {
  const res = await fetch(url, { credentials: 'same-origin' });
  if (res.status === 401) {
    location.href = '/console/login';
    return undefined;
  }
  if (!res.ok) return undefined;
  const t = document.createElement('template');
  t.innerHTML = await res.text();
  return t.content.firstElementChild;
}

function say(message, kind = 'info') {
  const banner = $('#banner');
  if (!banner) return;
  banner.textContent = message;
  banner.className = `banner banner-${kind}`;
}

// --- the queue and the drawer -------------------------------------------------

let selectedId;

function rows() {
  return $$('#queue tr.row');
}

function select(row, focus = true) {
  for (const r of rows()) {
    r.classList.remove('selected');
    r.removeAttribute('aria-selected');
  }
  if (!row) return;
  row.classList.add('selected');
  row.setAttribute('aria-selected', 'true');
  selectedId = row.dataset.id;
  if (focus) row.focus();
}

// The live parts of the queue, each swapped by id; the filter form between them is left alone,
// so what an operator types there survives a refresh.
const LIVE_PARTS = ['#needs-you', '#incidents', '#recent-rows'];

async function refreshQueue() {
  if (!$('#queue')) return;
  const params = new URLSearchParams(location.search);
  params.delete('open');
  const qs = params.toString();
  const fresh = await fragment(`/console/fragments/queue${qs ? `?${qs}` : ''}`);
  if (!fresh) return;
  const focusInQueue =
    document.activeElement === document.body ||
    document.activeElement?.closest?.('#queue tr.row') !== null;
  for (const sel of LIVE_PARTS) {
    const next = $(sel, fresh);
    if (next) $(sel)?.replaceWith(next);
  }
  if (selectedId) {
    const row =
      $(`#row-${CSS.escape(selectedId)}`) ??
      $(`#queue tr.row[data-id="${CSS.escape(selectedId)}"]`);
    if (row) select(row, focusInQueue);
  }
}

// Counts the drawer's openings: a card fetched for an earlier one is never shown over a later one.
let drawerOpenings = 0;

async function openDrawer(id) {
  const drawer = $('#drawer');
  if (!drawer) {
    location.href = `/console/actions/${encodeURIComponent(id)}`;
    return;
  }
  const opening = ++drawerOpenings;
  const card = await fragment(`/console/fragments/card/${encodeURIComponent(id)}`);
  if (!card || opening !== drawerOpenings) return;
  drawer.replaceChildren(card);
  drawer.hidden = false;
  drawer.dataset.open = id;
  history.replaceState(null, '', withParam('open', id));
  $('#card-title', drawer)?.focus();
}

/** This page's address with one query parameter set (or removed), the filters kept. */
function withParam(name, value) {
  const params = new URLSearchParams(location.search);
  if (value === undefined) params.delete(name);
  else params.set(name, value);
  const qs = params.toString();
  return `${location.pathname}${qs ? `?${qs}` : ''}`;
}

function closeDrawer() {
  const drawer = $('#drawer');
  if (!drawer || drawer.hidden) return;
  drawerOpenings++;
  drawer.hidden = true;
  delete drawer.dataset.open;
  drawer.replaceChildren();
  history.replaceState(null, '', withParam('open', undefined));
  if (selectedId) $(`#row-${CSS.escape(selectedId)}`)?.focus();
}

async function refreshCard(id) {
  const drawer = $('#drawer');
  if (drawer && !drawer.hidden && drawer.dataset.open && (!id || drawer.dataset.open === id)) {
    const open = drawer.dataset.open;
    const opening = drawerOpenings;
    const card = await fragment(`/console/fragments/card/${encodeURIComponent(open)}`);
    // The drawer may have moved to another card (or closed) while this one was fetched.
    if (card && !drawer.hidden && drawer.dataset.open === open && opening === drawerOpenings)
      drawer.replaceChildren(card);
  }
  const holder = $('#card-page');
  const current = holder?.firstElementChild?.dataset.id;
  if (holder && current && (!id || current === id)) {
    const card = await fragment(`/console/fragments/card/${encodeURIComponent(current)}`);
    if (card) holder.replaceChildren(card);
  }
}

async function refreshBody(selector, url) {
  const el = $(selector);
  if (!el) return;
  const fresh = await fragment(url);
  if (fresh) el.replaceWith(fresh);
}

// --- live updates ---------------------------------------------------------------

const timers = new Map();
function soon(key, ms, fn) {
  if (timers.has(key)) return;
  timers.set(
    key,
    setTimeout(() => {
      timers.delete(key);
      fn().catch((err) => say(`Could not refresh: ${err.message}`, 'error'));
    }, ms),
  );
}

function onChange(change) {
  soon('title', 300, refreshTitle);
  if (change.type?.startsWith('estop.'))
    soon('estop', 50, () => refreshBody('#estop-state', '/console/fragments/estop-state'));
  if (page === 'queue') soon('queue', 80, refreshQueue);
  if (change.actionId) soon(`card-${change.actionId}`, 80, () => refreshCard(change.actionId));
  else if (change.type?.startsWith('estop.')) soon('card', 80, () => refreshCard());
  if (page === 'status')
    soon('status', 200, () => refreshBody('#status-body', '/console/fragments/status'));
  if (page === 'timeline')
    soon('timeline', 1000, () =>
      refreshBody('#timeline-body', `/console/fragments/timeline${location.search}`),
    );
}

/** Keeps "(3) Queue · Interlock" current: the count of actions waiting for a person. */
async function refreshTitle() {
  const title = $('title');
  try {
    const res = await fetch('/console/fragments/waiting', {
      headers: { accept: 'application/json' },
    });
    if (!res.ok) return;
    const { waiting } = await res.json();
    title.textContent = `${waiting > 0 ? `(${waiting}) ` : ''}${title.dataset.base} · Interlock`;
  } catch {
    // The connection banner says the page may be stale; the title keeps its last count.
  }
}

/** The banner that says the page may be stale, shown while the event stream is down. */
function connectionLost(lost) {
  document.body.dataset.live = lost ? 'false' : 'true';
  const banner = $('#connection-lost');
  if (banner) banner.hidden = !lost;
}

function connect() {
  const events = new EventSource('/console/events');
  events.addEventListener('hello', () => {
    // Anything missed while disconnected: refresh everything once.
    onChange({ type: 'estop.hello' });
    connectionLost(false);
  });
  events.addEventListener('change', (e) => onChange(JSON.parse(e.data)));
  events.addEventListener('ended', () => {
    events.close();
    location.href = '/console/login';
  });
  // The browser fires `error` as soon as the stream drops (a dead gateway closes its socket) and
  // then retries on its own; `hello` on the new stream hides the banner again.
  events.addEventListener('error', () => connectionLost(true));
}

// --- dialogs ----------------------------------------------------------------------

/**
 * Asks for a reason; resolves with it, or undefined when cancelled. `send` may throw to keep the
 * dialog open.
 */
// Ctrl+Enter (Cmd+Enter on a Mac) submits the reason being typed, in any dialog's form.
document.addEventListener('keydown', (e) => {
  if (e.key !== 'Enter' || !(e.ctrlKey || e.metaKey)) return;
  const field = e.target;
  if (!(field instanceof HTMLElement) || !field.matches('textarea, input')) return;
  const form = field.closest('dialog[open] form');
  if (!form) return;
  e.preventDefault();
  form.requestSubmit();
});

function askReason(title, what, confirmLabel, send) {
  const dialog = $('#reason-dialog');
  $('#reason-title').textContent = title;
  $('#reason-what').textContent = what;
  $('#reason-submit').textContent = confirmLabel;
  $('#reason-error').textContent = '';
  const text = $('#reason-text');
  text.value = '';
  dialog.showModal();
  text.focus();
  const form = $('#reason-form');
  form.onsubmit = async (e) => {
    e.preventDefault();
    try {
      await send(text.value);
      dialog.close();
    } catch (err) {
      $('#reason-error').textContent = err.message;
      text.focus();
    }
  };
}

async function openEstop() {
  const dialog = $('#estop-dialog');
  const radius = await fragment('/console/fragments/estop-radius');
  if (radius) $('#estop-radius').replaceWith(radius);
  dialog.showModal();
  $('#estop-confirm').focus();
  $('#estop-form').onsubmit = async (e) => {
    e.preventDefault();
    const button = $('#estop-confirm');
    button.disabled = true;
    try {
      const r = await post('/console/api/estop', { reason: $('#estop-reason').value });
      dialog.close();
      const failed = r.safeState.filter((s) => !s.ok).map((s) => s.target);
      say(
        failed.length
          ? `Stopped with errors: ${failed.join(', ')} did not confirm a safe state. Check them now.`
          : `Stopped. All ${r.safeState.length} target(s) safe in ${Math.round(r.safeStateMs)} ms; ${r.cancelled} cancelled, ${r.aborted} aborted. Rearm on Status.`,
        failed.length ? 'error' : 'warn',
      );
    } catch (err) {
      say(`Emergency stop failed: ${err.message}. Try again or use the API.`, 'error');
    } finally {
      button.disabled = false;
    }
  };
}

function openBatch(batchId) {
  const dialog = $('#batch-dialog');
  const members = $('.batch-members')?.cloneNode(true);
  $('#batch-members').replaceChildren(...(members ? [members] : []));
  dialog.showModal();
  $('#batch-confirm').focus();
  $('#batch-form').onsubmit = async (e) => {
    e.preventDefault();
    try {
      await post(`/console/api/batches/${encodeURIComponent(batchId)}/approve`, {});
      dialog.close();
      say('Approved every pending member of the batch.', 'ok');
    } catch (err) {
      dialog.close();
      say(`Batch approval refused: ${err.message}`, 'error');
    }
  };
}

// --- actions ------------------------------------------------------------------------

async function act(button) {
  const id = button.dataset.id;
  // Confirmations name the action and its target (the label already ends "on <target>"): the
  // operator sees what was acted on.
  const label = button.dataset.label ?? id ?? '';
  const api = (verb) => `/console/api/actions/${encodeURIComponent(id)}/${verb}`;
  switch (button.dataset.act) {
    case 'approve': {
      const r = await post(api('approve'), { digest: button.dataset.digest });
      say(
        r.status === 'APPROVED'
          ? `Approved: ${label}. It runs now.`
          : `Approval recorded for ${label} (${r.approvals} of ${r.required}).`,
        'ok',
      );
      return;
    }
    case 'reject':
      return askReason('Reject this action?', label, 'Reject', async (reason) => {
        await post(api('reject'), { reason });
        say(`Rejected: ${label}`, 'ok');
      });
    case 'veto':
      return askReason('Veto this action?', label, 'Veto', async (reason) => {
        await post(api('veto'), { reason });
        say(`Vetoed: ${label}`, 'ok');
      });
    case 'cancel':
      return askReason('Cancel this action?', label, 'Cancel action', async (reason) => {
        await post(api('cancel'), reason.trim() ? { reason } : {});
        say(`Cancelled: ${label}`, 'ok');
      });
    case 'abort':
      return askReason('Abort while it runs?', label, 'Abort', async (reason) => {
        await post(api('abort'), reason.trim() ? { reason } : {});
        say(`Abort sent: ${label}`, 'warn');
      });
    case 'acknowledge':
      await post(api('acknowledge'), {});
      say(`Acknowledged: ${label}. You own this alert.`, 'ok');
      return;
    case 'acknowledge-group': {
      const ids = button.dataset.ids.split(' ');
      const r = await post('/console/api/actions/acknowledge', { ids });
      say(
        `Acknowledged ${r.acknowledged}: ${button.dataset.label}.${r.already ? ` ${r.already} were acknowledged already.` : ''} You own these alerts.`,
        'ok',
      );
      return;
    }
    case 'open':
      return openDrawer(id);
    case 'approve-batch':
      return openBatch(id);
    case 'propose-rollback': {
      const r = await post(api('rollback'), {});
      say(
        `Rollback proposed: ${label} (${r.action.status.replace('_', ' ')}${r.replayed ? ', proposed before' : ''}).`,
        'ok',
      );
      return openDrawer(r.action.id);
    }
    case 'resolve-breaker':
      return askReason('Resolve this breaker?', label, 'Resolve', async (reason) => {
        await post(`/console/api/breakers/${encodeURIComponent(id)}/resolve`, { reason });
        say(`Resolved: ${label}.`, 'ok');
      });
    case 'rearm':
      return askReason('Rearm the emergency stop?', label, 'Rearm', async (reason) => {
        await post('/console/api/estop/rearm', { reason });
        say('Rearmed. Levels are capped at L3.', 'ok');
      });
    case 'set-level':
      return askReason('Change the level?', label, 'Change level', async (reason) => {
        await post(`/console/api/autonomy/${encodeURIComponent(button.dataset.target)}`, {
          level: button.dataset.level,
          reason,
        });
        say(`${button.dataset.target} is now at ${button.dataset.level}.`, 'ok');
      });
  }
}

document.addEventListener('click', (e) => {
  const el = e.target instanceof Element ? e.target : null;
  if (!el) return;
  const copy = el.closest('[data-copy]');
  if (copy) {
    navigator.clipboard?.writeText(copy.dataset.copy).then(
      () => say(`Copied ${copy.dataset.copy}`, 'ok'),
      () => say('Copy failed: select the text instead.', 'warn'),
    );
    return;
  }
  const close = el.closest('[data-close]');
  if (close) return $(`#${close.dataset.close}`)?.close();
  if (el.closest('[data-close-drawer]')) return closeDrawer();
  if (el.closest('#estop-open')) return void openEstop();
  const button = el.closest('[data-act]');
  if (button) {
    e.preventDefault();
    const row = button.closest('tr.row');
    if (row) select(row, false);
    act(button).catch((err) => {
      // Refused (the action changed, or is no longer waiting): show what it is now.
      say(`${err.message} Showing the current version.`, 'error');
      void refreshQueue();
      void refreshCard(button.dataset.id);
    });
    return;
  }
  const row = el.closest('tr.row');
  if (row) select(row, false);
});

// --- keyboard -----------------------------------------------------------------------

function typing(target) {
  return (
    target instanceof HTMLElement &&
    (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))
  );
}

/** The action the operator is looking at: the open card, else the selected row. */
function subjectId() {
  const drawer = $('#drawer');
  return drawer && !drawer.hidden && drawer.dataset.open ? drawer.dataset.open : selectedId;
}

/**
 * Presses the first of `acts` that the shown action offers: on its open card, else on its row.
 * Never another action's control.
 */
function press(acts) {
  const id = subjectId();
  if (!id) return;
  const drawer = $('#drawer');
  const scope =
    drawer && !drawer.hidden && drawer.dataset.open === id ? drawer : $(`#row-${CSS.escape(id)}`);
  for (const act of acts) {
    const button = scope?.querySelector(`[data-act="${act}"][data-id="${CSS.escape(id)}"]`);
    if (button) return void button.click();
  }
  say(`Nothing to ${acts.join(' or ')} on this action.`, 'info');
}

/** Moves the selection; an open card follows it, so keys act on what is shown. */
function move(row) {
  select(row);
  const drawer = $('#drawer');
  if (row && drawer && !drawer.hidden && drawer.dataset.open !== row.dataset.id)
    void openDrawer(row.dataset.id).then(() => row.focus());
}

document.addEventListener('keydown', (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target) || $('dialog[open]')) return;
  const all = rows();
  const current = all.findIndex((r) => r.dataset.id === selectedId);
  switch (e.key) {
    case '?':
      $('#keys-dialog')?.showModal();
      break;
    case 'S':
      if ($('#estop-open')) void openEstop();
      break;
    case 'j':
      move(all[Math.min(all.length - 1, current + 1)] ?? all[0]);
      break;
    case 'k':
      move(all[Math.max(0, current - 1)] ?? all[0]);
      break;
    case 'a':
      press(['approve']);
      break;
    case 'r':
      press(['reject', 'veto']);
      break;
    case 'o':
      if (all[current]) void openDrawer(all[current].dataset.id);
      break;
    case '!': {
      const urgent =
        all.find((r) => r.dataset.severity === 'ERROR' && r.dataset.unresolved === 'true') ??
        all.find((r) => r.dataset.severity === 'ERROR') ??
        all.find((r) => r.dataset.severity === 'WARN' && r.dataset.unresolved === 'true');
      if (urgent) {
        select(urgent);
        void openDrawer(urgent.dataset.id);
      } else say('No high-severity item.', 'info');
      break;
    }
    case 'Escape':
      closeDrawer();
      return;
    default:
      return;
  }
  e.preventDefault();
});

// --- clocks ---------------------------------------------------------------------------

function waited(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60
    ? `${m}m ${String(s % 60).padStart(2, '0')}s`
    : `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

setInterval(() => {
  for (const cell of $$('.waiting [data-since]'))
    cell.textContent = waited(Date.now() - Date.parse(cell.dataset.since));
  for (const cell of $$('.deadline[data-deadline]'))
    cell.textContent = `${cell.dataset.what} ${waited(Date.parse(cell.dataset.deadline) - Date.now())}`;
}, 1000);

// A target's state changes without a lifecycle event (a roaster heats and cools): Status
// re-reads it every 2 s while the page is shown and connected, unless the operator is working
// in it (focus inside the table, or a dialog open).
if (page === 'status')
  setInterval(() => {
    if (document.hidden || document.body.dataset.live !== 'true' || $('dialog[open]')) return;
    if (document.activeElement?.closest?.('#status-body')) return;
    soon('status', 0, () => refreshBody('#status-body', '/console/fragments/status'));
  }, 2000);

const open = $('#drawer')?.dataset.open;
if (open) void openDrawer(open);
connect();
