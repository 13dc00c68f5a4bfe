/**
 * Renders parsed Markdown (markdown.ts) as React elements: text is always text (React escapes it),
 * links open in a new tab without the opener, and an unsafe target leaves its text unlinked. The
 * tree is derived from the text and never reordered, so positions are the keys (Children.toArray).
 */
import { Children, type ReactNode, useMemo } from 'react';
import { type Block, type Inline, parseMarkdown } from './markdown.ts';

const lineBreak = () => <br />;

function lines(text: string): ReactNode {
  const parts = text.split('\n');
  return parts.length === 1
    ? text
    : Children.toArray(parts.flatMap((p, j) => (j === 0 ? [p] : [lineBreak(), p])));
}

const listItem = (item: Inline[]) => <li>{inline(item)}</li>;

function inline(nodes: Inline[]): ReactNode {
  return Children.toArray(nodes.map(inlineNode));
}

function inlineNode(n: Inline): ReactNode {
  switch (n.kind) {
    case 'text':
      return lines(n.text);
    case 'code':
      return <code>{n.text}</code>;
    case 'strong':
      return <strong>{inline(n.children)}</strong>;
    case 'em':
      return <em>{inline(n.children)}</em>;
    case 'link':
      return n.href ? (
        <a href={n.href} target="_blank" rel="noopener noreferrer nofollow">
          {inline(n.children)}
        </a>
      ) : (
        <span>{inline(n.children)}</span>
      );
    default:
      return null;
  }
}

function blockNode(b: Block): ReactNode {
  switch (b.kind) {
    case 'heading': {
      // Inside a page whose own headings are h1/h2: the body's levels start at h3.
      const Tag = `h${Math.min(6, b.level + 2)}` as 'h3' | 'h4' | 'h5' | 'h6';
      return <Tag>{inline(b.children)}</Tag>;
    }
    case 'paragraph':
      return <p>{inline(b.children)}</p>;
    case 'list': {
      const items = Children.toArray(b.items.map(listItem));
      return b.ordered ? <ol start={b.start}>{items}</ol> : <ul>{items}</ul>;
    }
    case 'quote':
      return <blockquote>{Children.toArray(b.children.map(blockNode))}</blockquote>;
    case 'code':
      return (
        <pre>
          <code>{b.text}</code>
        </pre>
      );
    case 'rule':
      return <hr />;
    default:
      return null;
  }
}

export function Markdown({ source }: { source: string }) {
  const blocks = useMemo(() => parseMarkdown(source), [source]);
  return <div className="prose markdown">{Children.toArray(blocks.map(blockNode))}</div>;
}
