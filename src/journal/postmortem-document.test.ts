import assert from 'node:assert/strict';
import { it } from 'node:test';
import { type PostmortemDocument, renderHtml, renderMarkdown } from './postmortem-document.ts';

const typed = 'the servers passed [a week of tests](http://evil.example/x); see __load_test__, *stress* and <img src=x>';

const doc: PostmortemDocument = {
  title: 'Postmortem: incident 3, web failing',
  generatedAt: 0,
  incidentId: 3,
  sections: [
    {
      heading: 'Problems with our response',
      needsConfirmation: false,
      blocks: [
        { kind: 'list', items: [`richard overrode the capacity gate with the reason "${typed}"`, '- richard', '1. first'] },
        { kind: 'paragraph', text: 'fast path: error_ratio in the open window; 0.00 % of requests' },
        { kind: 'table', headers: ['time', 'what'], rows: [['12:19:50', 'split a | b']] },
        { kind: 'confirm', text: typed },
      ],
    },
  ],
};

it('renders typed text in Markdown so a viewer shows it literally: no link, emphasis or HTML from it', () => {
  const md = renderMarkdown(doc);
  const escaped =
    'the servers passed \\[a week of tests\\](http://evil.example/x); see \\_\\_load_test\\_\\_, \\*stress\\* and \\<img src=x>';
  assert.ok(md.includes(`- richard overrode the capacity gate with the reason "${escaped}"`), md);
  assert.ok(md.includes(`> **To confirm:** ${escaped}`), md);
  assert.ok(md.includes('- \\- richard'), 'a typed dash does not open a nested list');
  assert.ok(md.includes('- 1\\. first'), 'nor a typed number an ordered one');
  // Underscores inside words and decimal points are left alone: no viewer reads them as markup.
  assert.ok(md.includes('fast path: error_ratio in the open window; 0.00 % of requests'), md);
  assert.ok(md.includes('| 12:19:50 | split a \\| b |'), md);
});

it('renders HTML with every text escaped and no script', () => {
  const html = renderHtml(doc);
  assert.ok(html.includes('and &lt;img src=x&gt;'));
  assert.doesNotMatch(html, /<img|<script|<a /);
});
