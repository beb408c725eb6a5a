import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LinePrefixer } from './commands/line-prefixer.js';

describe('LinePrefixer', () => {
  it('prefixes whole lines only and flushes the unfinished last line at the end', () => {
    let out = '';
    const prefixer = new LinePrefixer('== APP == ', (text) => { out += text; });
    prefixer.push('one\ntw');
    assert.equal(out, '== APP == one\n');
    prefixer.push('o\nthree');
    assert.equal(out, '== APP == one\n== APP == two\n');
    prefixer.end();
    assert.equal(out, '== APP == one\n== APP == two\n== APP == three\n');
  });

  it('keeps a UTF-8 character split across chunks intact', () => {
    let out = '';
    const prefixer = new LinePrefixer('> ', (text) => { out += text; });
    const bytes = Buffer.from('héllo ✅\n');
    for (const byte of bytes) prefixer.push(Buffer.from([byte]));
    prefixer.end();
    assert.equal(out, '> héllo ✅\n');
  });

  it('writes nothing at the end when the output ended with a newline, and keeps empty lines', () => {
    let out = '';
    const prefixer = new LinePrefixer('> ', (text) => { out += text; });
    prefixer.push('a\n\nb\n');
    prefixer.end();
    assert.equal(out, '> a\n> \n> b\n');
  });
});
