/** Builds the note text with each finding's spans as `<mark>` elements (text nodes only: the note is never HTML). */
import type { Finding } from './api.js';

interface Piece {
  start: number;
  end: number;
  finding: Finding;
}

/**
 * The spans that can be highlighted: from this note version, inside the text, not overlapping an earlier one.
 * @param findings - the findings.
 * @param document - the note version the text is.
 * @param length - the text's length.
 * @returns the pieces in text order.
 */
export function highlightPieces(findings: readonly Finding[], document: string, length: number): Piece[] {
  const all = findings
    .flatMap((finding) => finding.spans.filter((s) => s.document === document && s.start >= 0 && s.end <= length && s.end > s.start).map((s) => ({ start: s.start, end: s.end, finding })))
    .sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: Piece[] = [];
  for (const piece of all) {
    const last = kept[kept.length - 1];
    if (!last || piece.start >= last.end) kept.push(piece);
  }
  return kept;
}

/**
 * Fills `target` with the text and marks.
 * @param target - the element.
 * @param text - the note text.
 * @param pieces - from `highlightPieces`.
 * @param onSelect - called when a mark is clicked.
 */
export function renderHighlights(target: HTMLElement, text: string, pieces: readonly Piece[], onSelect: (f: Finding) => void): void {
  target.replaceChildren();
  let at = 0;
  for (const piece of pieces) {
    if (piece.start > at) target.append(document.createTextNode(text.slice(at, piece.start)));
    const mark = document.createElement('mark');
    mark.textContent = text.slice(piece.start, piece.end);
    mark.className = classesOf(piece.finding).join(' ');
    mark.dataset.ref = piece.finding.ref;
    mark.dataset.start = String(piece.start);
    mark.dataset.end = String(piece.end);
    mark.title = `${piece.finding.resourceType}: ${piece.finding.label}${piece.finding.assertion ? ` (${piece.finding.assertion})` : ''}`;
    mark.addEventListener('click', () => onSelect(piece.finding));
    target.append(mark);
    at = piece.end;
  }
  if (at < text.length) target.append(document.createTextNode(text.slice(at)));
}

/**
 * CSS classes for a finding: its type, its assertion, whether retracted.
 * @param f - the finding.
 * @returns the classes.
 */
export function classesOf(f: Finding): string[] {
  return [`t-${f.resourceType}`, ...(f.assertion ? [`a-${f.assertion}`] : []), ...(f.retracted ? ['retracted'] : [])];
}
