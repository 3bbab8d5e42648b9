/** CRC-32C (Castagnoli), the checksum Kafka's record batches carry: the broker refuses a batch whose checksum is wrong. */

/**
 * Slicing-by-8: eight tables, the kth giving a byte's effect k bytes further on, so a step takes
 * eight bytes for eight lookups without the byte-at-a-time loop's chain of dependent shifts. Every
 * write checksums its whole batch (~3 KB for ten certificates): ~9 µs a write byte by byte, ~3 µs so.
 */
const TABLES = new Int32Array(8 * 256);
for (let byte = 0; byte < 256; byte += 1) {
  let crc = byte;
  for (let bit = 0; bit < 8; bit += 1) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  TABLES[byte] = crc;
}
for (let byte = 0; byte < 256; byte += 1) {
  for (let slice = 1; slice < 8; slice += 1) {
    const previous = TABLES[(slice - 1) * 256 + byte]!;
    TABLES[slice * 256 + byte] = (previous >>> 8) ^ TABLES[previous & 0xff]!;
  }
}

export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = -1;
  let index = start;
  for (; index + 8 <= end; index += 8) {
    crc ^= bytes[index]! | (bytes[index + 1]! << 8) | (bytes[index + 2]! << 16) | (bytes[index + 3]! << 24);
    crc =
      TABLES[7 * 256 + (crc & 0xff)]! ^
      TABLES[6 * 256 + ((crc >>> 8) & 0xff)]! ^
      TABLES[5 * 256 + ((crc >>> 16) & 0xff)]! ^
      TABLES[4 * 256 + (crc >>> 24)]! ^
      TABLES[3 * 256 + bytes[index + 4]!]! ^
      TABLES[2 * 256 + bytes[index + 5]!]! ^
      TABLES[256 + bytes[index + 6]!]! ^
      TABLES[bytes[index + 7]!]!;
  }
  for (; index < end; index += 1) crc = TABLES[(crc ^ bytes[index]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}
