/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/** The Policy impact page (admins): a form over the same analysis as POST /v1/policies/impact. */
import { readdir, readFile } from 'node:fs/promises';
import type { Context } from 'hono';
import path from 'node:path';
import { liveImpact, ImpactRequestSchema } from '../gateway/http/impact-run.ts';
import type { Services } from '../gateway/http/services.ts';
import { describeIssues, fieldIssues, ValidationError } from '../gateway/schema/errors.ts';
import { chrome } from './page-routes.tsx';
import { requireAdmin, type ConsoleApp } from './route-helpers.ts';
import type { ConsoleEnv } from './security.ts';
import { ImpactPage, type ImpactPageData } from './views/impact.tsx';
import { Layout } from './views/layout.tsx';

const EDITABLE = /\.(?:rego|ya?ml|json)$/;

/** The tree's editable files as `policies/…` and `invariants/…`, sorted. */
async function treeFiles(s: Services): Promise<string[]> {
  const list = async (root: string, prefix: string) => {
    const names = await readdir(root, { recursive: true }).catch(() => [] as string[]);
    return names
      .filter((n) => EDITABLE.test(n))
      .map((n) => `${prefix}/${n.split(path.sep).join('/')}`);
  };
  const [p, i] = await Promise.all([
    list(s.policyTree.policyDir, 'policies'),
    list(s.policyTree.invariantsDir, 'invariants'),
  ]);
  return [...p, ...i].sort();
}

/** Only a file of the listing is read: the name is never used as a path on its own. */
async function fileContent(s: Services, files: string[], file: string): Promise<string> {
  if (!files.includes(file)) return '';
  const [root, ...rest] = file.split('/');
  const dir = root === 'policies' ? s.policyTree.policyDir : s.policyTree.invariantsDir;
  return readFile(path.join(dir, ...rest), 'utf8');
}

export function impactRoutes(app: ConsoleApp, s: Services): void {
  const deps = s.deps;
  const page = async (c: Context<ConsoleEnv>, d: Omit<ImpactPageData, 'csrf'>) => {
    const session = c.get('session');
    return c.html(
      <Layout title="Policy impact" chrome={await chrome(deps, session, 'impact')}>
        <ImpactPage d={{ ...d, csrf: session.csrf }} />
      </Layout>,
    );
  };

  app.get('/policy-impact', async (c) => {
    requireAdmin(c.get('session').principal);
    const files = await treeFiles(s);
    const file = files.includes(c.req.query('file') ?? '')
      ? c.req.query('file')!
      : (files.find((f) => f === 'policies/autonomy.yaml') ?? files[0] ?? '');
    return page(c, { files, file, content: await fileContent(s, files, file), from: '7d', to: '' });
  });

  app.post('/policy-impact', async (c) => {
    const p = c.get('session').principal;
    requireAdmin(p);
    const form = await c.req.parseBody();
    const text = (name: string) => (typeof form[name] === 'string' ? form[name] : '');
    const files = await treeFiles(s);
    const file = text('file');
    if (!files.includes(file))
      throw new ValidationError(`file: not a file of the running tree`, [
        { field: 'file', message: 'not a file of the running tree' },
      ]);
    const [root, ...rest] = file.split('/');
    // Browsers send textarea lines with CRLF; the file on disk has what the editor saved.
    const content = text('content').replace(/\r\n/g, '\n');
    const body = ImpactRequestSchema.safeParse({
      [root === 'policies' ? 'policies' : 'invariants']: { [rest.join('/')]: content },
      ...(text('from') ? { from: text('from') } : {}),
      ...(text('to') ? { to: text('to') } : {}),
    });
    if (!body.success) {
      const issues = fieldIssues(body.error.issues);
      throw new ValidationError(describeIssues(issues), issues);
    }
    const result = await liveImpact(s, p.id, body.data);
    return page(c, { files, file, content, from: text('from'), to: text('to'), result });
  });
}
