/** Text (pages joined by blank lines) and the title from a PDF's metadata, through pdf-parse. */
export async function pdfText(bytes: Uint8Array): Promise<{ text: string; title?: string }> {
  // Loaded on the first PDF only: pdf-parse brings @napi-rs/canvas, a native module whose runtime threads can
  // hang a process at exit (an orphaned agent service stuck in a futex, past its SIGKILL watchdog), and a
  // knowledge base without PDFs has no use for it.
  const { PDFParse } = await import('pdf-parse');
  // pdf-parse may transfer the buffer to its worker: hand it a copy so the caller's bytes stay usable.
  const parser = new PDFParse({ data: new Uint8Array(bytes) });
  try {
    const result = await parser.getText({ pageJoiner: '\n\n' });
    const info = await parser.getInfo().catch(() => undefined);
    const title = (info?.info as { Title?: unknown } | undefined)?.Title;
    return {
      text: result.text,
      ...(typeof title === 'string' && title.trim() !== '' ? { title: title.trim() } : {}),
    };
  } finally {
    await parser.destroy();
  }
}
