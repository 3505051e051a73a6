import { describe, expect, it } from 'vitest';
import { parseYaml, YamlError } from './yaml.ts';

describe('parseYaml', () => {
  it('reads a document, and an empty one as null', () => {
    expect(parseYaml('a: 1\nb: [x, y]\n', 'f.yaml')).toEqual({ a: 1, b: ['x', 'y'] });
    expect(parseYaml('', 'f.yaml')).toBeNull();
  });

  it('names the file, line and column of a syntax error', () => {
    try {
      parseYaml('a: 1\nb: [x, y\nc: 2\n', 'conf/interlock.yaml');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(YamlError);
      const e = err as YamlError;
      expect(e.file).toBe('conf/interlock.yaml');
      expect(e.line).toBeGreaterThanOrEqual(2);
      expect(e.message).toMatch(/^conf\/interlock\.yaml:\d+:\d+: /);
    }
  });

  it('refuses duplicate keys and alias bombs', () => {
    expect(() => parseYaml('a: 1\na: 2\n', 'f.yaml')).toThrow(YamlError);
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 8; i++)
      bomb.push(
        `${'b'.repeat(i + 1)}: &${'b'.repeat(i + 1)} [${Array(10)
          .fill(i === 0 ? '*a' : `*${'b'.repeat(i)}`)
          .join(', ')}]`,
      );
    expect(() => parseYaml(bomb.join('\n'), 'f.yaml')).toThrow();
  });
});
