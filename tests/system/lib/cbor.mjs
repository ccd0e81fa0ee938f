// The small subset of CBOR (RFC 8949) that WebAuthn uses: integers, byte and text strings, arrays, maps,
// booleans and null. Maps encode in insertion order, so callers control canonical (CTAP2) key order.

const MAJOR = { uint: 0, negint: 1, bytes: 2, text: 3, array: 4, map: 5, simple: 7 };

function head(major, length) {
  if (length < 24) return Buffer.from([(major << 5) | length]);
  if (length < 0x100) return Buffer.from([(major << 5) | 24, length]);
  if (length < 0x10000) {
    const b = Buffer.alloc(3);
    b[0] = (major << 5) | 25;
    b.writeUInt16BE(length, 1);
    return b;
  }
  if (length < 0x100000000) {
    const b = Buffer.alloc(5);
    b[0] = (major << 5) | 26;
    b.writeUInt32BE(length, 1);
    return b;
  }
  const b = Buffer.alloc(9);
  b[0] = (major << 5) | 27;
  b.writeBigUInt64BE(BigInt(length), 1);
  return b;
}

export function encode(value) {
  if (value === null || value === undefined) return Buffer.from([0xf6]);
  if (value === false) return Buffer.from([0xf4]);
  if (value === true) return Buffer.from([0xf5]);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError(`CBOR: only integers are supported, got ${value}`);
    return value >= 0 ? head(MAJOR.uint, value) : head(MAJOR.negint, -1 - value);
  }
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([head(MAJOR.text, bytes.length), bytes]);
  }
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) {
    const bytes = Buffer.from(value);
    return Buffer.concat([head(MAJOR.bytes, bytes.length), bytes]);
  }
  if (Array.isArray(value)) {
    return Buffer.concat([head(MAJOR.array, value.length), ...value.map(encode)]);
  }
  const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
  return Buffer.concat([
    head(MAJOR.map, entries.length),
    ...entries.flatMap(([k, v]) => [encode(k), encode(v)]),
  ]);
}

// Decodes one item at `offset`; returns { value, end }. Maps decode to `Map` because WebAuthn keys are often integers.
export function decodeItem(buf, offset = 0) {
  const bytes = Buffer.isBuffer(buf) ? buf : Buffer.from(buf);
  let pos = offset;
  const need = (n) => {
    if (pos + n > bytes.length) throw new RangeError('CBOR: truncated input');
  };
  const readLength = (info) => {
    if (info < 24) return info;
    if (info === 24) { need(1); return bytes[pos++]; }
    if (info === 25) { need(2); const v = bytes.readUInt16BE(pos); pos += 2; return v; }
    if (info === 26) { need(4); const v = bytes.readUInt32BE(pos); pos += 4; return v; }
    if (info === 27) {
      need(8);
      const v = bytes.readBigUInt64BE(pos);
      pos += 8;
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError('CBOR: integer too large');
      return Number(v);
    }
    throw new TypeError(`CBOR: unsupported additional info ${info}`);
  };
  const item = () => {
    need(1);
    const initial = bytes[pos++];
    const major = initial >> 5;
    const info = initial & 0x1f;
    if (major === MAJOR.simple) {
      if (info === 20) return false;
      if (info === 21) return true;
      if (info === 22 || info === 23) return null;
      throw new TypeError(`CBOR: unsupported simple value ${info}`);
    }
    const length = readLength(info);
    switch (major) {
      case MAJOR.uint: return length;
      case MAJOR.negint: return -1 - length;
      case MAJOR.bytes: { need(length); const v = Buffer.from(bytes.subarray(pos, pos + length)); pos += length; return v; }
      case MAJOR.text: { need(length); const v = bytes.toString('utf8', pos, pos + length); pos += length; return v; }
      case MAJOR.array: return Array.from({ length }, item);
      case MAJOR.map: {
        const map = new Map();
        for (let i = 0; i < length; i++) {
          const k = item();
          map.set(k, item());
        }
        return map;
      }
      default: throw new TypeError(`CBOR: unsupported major type ${major}`);
    }
  };
  const value = item();
  return { value, end: pos };
}

export function decode(buf) {
  const { value, end } = decodeItem(buf);
  if (end !== buf.byteLength) throw new TypeError('CBOR: trailing bytes');
  return value;
}
