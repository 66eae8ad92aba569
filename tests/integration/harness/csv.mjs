// A small CSV reader of our own for the files pgs3 writes with DataFormat csv: RFC 4180 quoting ("" inside quoted
// fields, delimiters and line breaks inside quotes) when Rfc4180 is true, plain splitting when it is false; any
// delimiter and row delimiter (CsvDelimiter, CsvRowDelimiter); .csv.gz files are gunzipped first.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

// The text of a .csv or .csv.gz file (a .gz file must really be gzip: its magic bytes are checked).
export function readCsvText(path) {
  let buf = readFileSync(path);
  if (path.endsWith('.gz')) {
    if (buf.length < 2 || buf[0] !== 0x1f || buf[1] !== 0x8b) throw new Error(`${path} is not gzip data`);
    buf = gunzipSync(buf);
  }
  return new TextDecoder('utf-8', { fatal: true }).decode(buf);
}

/**
 * Parses CSV text into rows of fields { value, quoted }.
 * @param opts.delimiter field delimiter (default ',')
 * @param opts.rowDelimiter row delimiter (default '\n'); the last row may or may not end with one
 * @param opts.rfc4180 true: a field starting with '"' is quoted, '""' inside it is one '"'
 * Throws on malformed quoting (text after a closing quote, an unterminated quoted field).
 */
export function parseCsv(text, { delimiter = ',', rowDelimiter = '\n', rfc4180 = true } = {}) {
  const rows = [];
  let row = [];
  let i = 0;
  const n = text.length;
  if (n === 0) return rows;
  for (;;) {
    // One field, starting at i.
    let value = '';
    let quoted = false;
    if (rfc4180 && text[i] === '"') {
      quoted = true;
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) throw new Error(`unterminated quoted field starting near offset ${i}`);
        value += text.slice(i, q);
        if (text[q + 1] === '"') {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      if (i < n && !text.startsWith(delimiter, i) && !text.startsWith(rowDelimiter, i)) {
        throw new Error(`unexpected text after a closing quote at offset ${i}: ${JSON.stringify(text.slice(i, i + 20))}`);
      }
    } else {
      let end = i;
      while (end < n && !text.startsWith(delimiter, end) && !text.startsWith(rowDelimiter, end)) end++;
      value = text.slice(i, end);
      i = end;
    }
    row.push({ value, quoted });
    if (i >= n) {
      rows.push(row);
      return rows;
    }
    if (text.startsWith(delimiter, i)) {
      i += delimiter.length;
      continue;
    }
    // Row delimiter.
    i += rowDelimiter.length;
    rows.push(row);
    row = [];
    if (i >= n) return rows;
  }
}
