import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../shared/logger.js';
import { ConfigError } from '../shared/errors.js';
import { loadKnowledgeBase } from '../shared/kb/loader.js';
import { Writable } from 'node:stream';

async function makePdf(lines: string[], title?: string): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  if (title) {
    pdf.setTitle(title);
  }
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  const page = pdf.addPage([600, 800]);
  lines.forEach((line, i) => page.drawText(line, { x: 40, y: 760 - i * 20, size: 12, font }));
  return pdf.save();
}

function captureLogger(): { logger: ReturnType<typeof createLogger>; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ level: 'warn', destination }), lines };
}

const sentence = (i: number) =>
  `Sentence number ${i} talks about value functions and returns in some detail.`;

describe('loadKnowledgeBase', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kb-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads markdown, text and a generated PDF, with titles and nearest headings', async () => {
    await writeFile(
      join(dir, 'bandits.md'),
      '# Multi-armed bandits\n\nIntro text.\n\n## Epsilon greedy\n\nExplore with probability epsilon.\n',
    );
    await writeFile(join(dir, 'notes.txt'), '# Discounting\n\nA discount factor gamma weights the future.\n');
    await writeFile(
      join(dir, 'paper.pdf'),
      await makePdf(['Temporal difference learning bootstraps.', 'It updates from a guess.'], 'TD notes'),
    );
    const kb = await loadKnowledgeBase(dir);
    expect(kb.documents.map((d) => d.id)).toEqual(['bandits.md', 'notes.txt', 'paper.pdf']);
    expect(kb.documents.map((d) => d.title)).toEqual(['Multi-armed bandits', 'Discounting', 'TD notes']);
    const pdf = kb.documents.find((d) => d.id === 'paper.pdf');
    expect(pdf?.text).toContain('Temporal difference learning bootstraps.');
    const epsilon = kb.chunks.find((c) => c.text.includes('probability epsilon'));
    expect(epsilon).toMatchObject({
      docId: 'bandits.md',
      heading: 'Epsilon greedy',
      title: 'Multi-armed bandits',
    });
    expect(new Set(kb.chunks.map((c) => c.id)).size).toBe(kb.chunks.length);
    expect(kb.chunks.find((c) => c.docId === 'paper.pdf')?.text).toContain('bootstraps');
  });

  it('keeps chunks within the size and overlaps them by whole sentences within the limit', async () => {
    const body = Array.from({ length: 60 }, (_, i) => sentence(i)).join(' ');
    await writeFile(join(dir, 'long.md'), `# Long\n\n${body}\n\n## Second\n\n${body}\n`);
    const chunkChars = 400;
    const overlapChars = 120;
    const kb = await loadKnowledgeBase(dir, { chunkChars, overlapChars });
    expect(kb.chunks.length).toBeGreaterThan(10);
    for (const chunk of kb.chunks) {
      expect(chunk.text.length).toBeLessThanOrEqual(chunkChars);
    }
    const sections = ['Long', 'Second'].map((h) => kb.chunks.filter((c) => c.heading === h));
    for (const chunks of sections) {
      // Every sentence of the section is in some chunk, in order, none lost at a cut.
      const covered = new Set(chunks.flatMap((c) => c.text.match(/Sentence number \d+/g) ?? []));
      expect(covered.size).toBe(60);
      for (let i = 1; i < chunks.length; i++) {
        const prev = chunks[i - 1]!.text;
        const next = chunks[i]!.text;
        const prevSentences = prev.match(/Sentence number \d+[^.]*\./g) ?? [];
        const shared = prevSentences.filter((s) => next.includes(s));
        const overlap = shared.join(' ');
        expect(overlap.length).toBeGreaterThan(0);
        expect(overlap.length).toBeLessThanOrEqual(overlapChars);
        expect(prev.endsWith(overlap)).toBe(true);
        expect(next.startsWith(overlap)).toBe(true);
      }
    }
    expect(kb.chunks.map((c) => c.index)).toEqual(kb.chunks.map((_, i) => i));
  });

  it('cuts a sentence longer than a chunk at word boundaries', async () => {
    const long = Array.from({ length: 100 }, (_, i) => `word${i}`).join(' ');
    await writeFile(join(dir, 'one.txt'), long);
    const kb = await loadKnowledgeBase(dir, { chunkChars: 100, overlapChars: 20 });
    for (const chunk of kb.chunks) {
      expect(chunk.text.length).toBeLessThanOrEqual(100);
    }
    expect(kb.chunks.map((c) => c.text).join(' ')).toContain('word0 word1');
    expect(kb.chunks.at(-1)?.text).toContain('word99');
  });

  it('changes the hash when a file changes, and not otherwise', async () => {
    await writeFile(join(dir, 'a.md'), '# A\n\nAlpha.\n');
    await writeFile(join(dir, 'b.txt'), 'Beta.\n');
    const first = await loadKnowledgeBase(dir);
    const again = await loadKnowledgeBase(dir, { chunkChars: 200, overlapChars: 10 });
    expect(again.hash).toBe(first.hash);
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);

    await writeFile(join(dir, 'b.txt'), 'Beta!\n');
    const edited = await loadKnowledgeBase(dir);
    expect(edited.hash).not.toBe(first.hash);

    await writeFile(join(dir, 'b.txt'), 'Beta.\n');
    expect((await loadKnowledgeBase(dir)).hash).toBe(first.hash);

    await writeFile(join(dir, 'c.md'), 'Gamma.\n');
    expect((await loadKnowledgeBase(dir)).hash).not.toBe(first.hash);
  });

  it('names and skips an unreadable file with a warning', async () => {
    await writeFile(join(dir, 'good.md'), '# Good\n\nFine text.\n');
    await writeFile(join(dir, 'broken.pdf'), 'this is not a pdf');
    await writeFile(join(dir, 'ignored.json'), '{}');
    const { logger, lines } = captureLogger();
    const kb = await loadKnowledgeBase(dir, { logger });
    expect(kb.documents.map((d) => d.id)).toEqual(['good.md']);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, file: join(dir, 'broken.pdf') });
  });

  it('fails clearly on a folder with no readable document, a missing folder, or bad settings', async () => {
    await writeFile(join(dir, 'empty.txt'), '   \n');
    await expect(loadKnowledgeBase(dir)).rejects.toThrow(/no readable document/);
    await expect(loadKnowledgeBase(join(dir, 'nope'))).rejects.toBeInstanceOf(ConfigError);
    await writeFile(join(dir, 'ok.md'), 'ok');
    await expect(loadKnowledgeBase(dir, { chunkChars: 10 })).rejects.toThrow(/chunkChars/);
    await expect(loadKnowledgeBase(dir, { overlapChars: 900 })).rejects.toThrow(/overlapChars/);
  });
});
