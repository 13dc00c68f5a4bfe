import { describe, expect, test } from 'vitest';
import { parseInline, parseMarkdown, safeHref } from './markdown.ts';

describe('proposal Markdown', () => {
  test('default: headings, paragraphs, lists, quotes, code and rules become blocks', () => {
    const blocks = parseMarkdown(
      [
        '# Fund the grants round',
        '',
        'We ask for **50 ETH** over *two* months.',
        'Second line of the same paragraph.',
        '',
        '- audits',
        '- tooling',
        '  continued',
        '',
        '3. first',
        '4. second',
        '',
        '> quoted **text**',
        '',
        '```',
        'cb governance verify 12',
        '# not a heading',
        '```',
        '---',
        'after',
      ].join('\n'),
    );
    expect(blocks.map((b) => b.kind)).toEqual([
      'heading',
      'paragraph',
      'list',
      'list',
      'quote',
      'code',
      'rule',
      'paragraph',
    ]);
    expect(blocks[0]).toEqual({
      kind: 'heading',
      level: 1,
      children: [{ kind: 'text', text: 'Fund the grants round' }],
    });
    expect(blocks[1]).toEqual({
      kind: 'paragraph',
      children: [
        { kind: 'text', text: 'We ask for ' },
        { kind: 'strong', children: [{ kind: 'text', text: '50 ETH' }] },
        { kind: 'text', text: ' over ' },
        { kind: 'em', children: [{ kind: 'text', text: 'two' }] },
        { kind: 'text', text: ' months.\nSecond line of the same paragraph.' },
      ],
    });
    expect(blocks[2]).toMatchObject({
      ordered: false,
      items: [[{ kind: 'text', text: 'audits' }], [{ kind: 'text', text: 'tooling continued' }]],
    });
    expect(blocks[3]).toMatchObject({ ordered: true, start: 3 });
    expect(blocks[4]).toMatchObject({ kind: 'quote', children: [{ kind: 'paragraph' }] });
    expect(blocks[5]).toEqual({ kind: 'code', text: 'cb governance verify 12\n# not a heading' });
  });

  test('behavior: links keep http(s) and mailto targets only; HTML stays text', () => {
    expect(parseInline('see [the forum](https://forum.example.org/t/1) and https://example.org/x.')).toEqual([
      { kind: 'text', text: 'see ' },
      {
        kind: 'link',
        href: 'https://forum.example.org/t/1',
        children: [{ kind: 'text', text: 'the forum' }],
      },
      { kind: 'text', text: ' and ' },
      {
        kind: 'link',
        href: 'https://example.org/x',
        children: [{ kind: 'text', text: 'https://example.org/x' }],
      },
      { kind: 'text', text: '.' },
    ]);
    expect(parseInline('[click](javascript:alert(1))')[0]).toMatchObject({ kind: 'link', href: undefined });
    expect(safeHref(' data:text/html,<b>x</b>')).toBeUndefined();
    expect(safeHref('mailto:dao@example.org')).toBe('mailto:dao@example.org');
    expect(parseMarkdown('<script>alert(1)</script>')).toEqual([
      { kind: 'paragraph', children: [{ kind: 'text', text: '<script>alert(1)</script>' }] },
    ]);
  });

  test('edge: snake_case words and lone markers stay text; code spans keep their markers', () => {
    expect(parseInline('call set_value_now with 2 * 3')).toEqual([
      { kind: 'text', text: 'call set_value_now with 2 * 3' },
    ]);
    expect(parseInline('`**not bold**`')).toEqual([{ kind: 'code', text: '**not bold**' }]);
    expect(parseMarkdown('')).toEqual([]);
  });
});
