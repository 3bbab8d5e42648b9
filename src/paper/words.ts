const ONES = [
  'Zero',
  'One',
  'Two',
  'Three',
  'Four',
  'Five',
  'Six',
  'Seven',
  'Eight',
  'Nine',
  'Ten',
  'Eleven',
  'Twelve',
  'Thirteen',
  'Fourteen',
  'Fifteen',
  'Sixteen',
  'Seventeen',
  'Eighteen',
  'Nineteen',
];
const TENS = ['', '', 'Twenty', 'Thirty', 'Forty', 'Fifty', 'Sixty', 'Seventy', 'Eighty', 'Ninety'];
// Short scale, as share counts are written in US corporate documents; 2^53 stays below a quintillion.
const SCALES = ['', 'Thousand', 'Million', 'Billion', 'Trillion', 'Quadrillion'];

function belowThousand(n: number): string[] {
  const words: string[] = [];
  if (n >= 100) words.push(ONES[Math.floor(n / 100)]!, 'Hundred');
  const rest = n % 100;
  if (rest === 0) return words;
  if (rest < 20) words.push(ONES[rest]!);
  else words.push(rest % 10 === 0 ? TENS[Math.floor(rest / 10)]! : `${TENS[Math.floor(rest / 10)]!}-${ONES[rest % 10]!}`);
  return words;
}

/** 1250 as "One Thousand Two Hundred Fifty": the amount as a certificate spells it, so figures cannot be altered alone. */
export function numberInWords(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`Expected a whole number from 0 to ${Number.MAX_SAFE_INTEGER}, got ${n}`);
  if (n === 0) return ONES[0]!;
  const words: string[] = [];
  let rest = n;
  for (let scale = 0; rest > 0; scale++) {
    const group = rest % 1000;
    if (group > 0) words.unshift(...belowThousand(group), ...(SCALES[scale] ? [SCALES[scale]!] : []));
    rest = Math.floor(rest / 1000);
  }
  return words.join(' ');
}

const FIGURES = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** 1250 as "1,250". */
export function numberInFigures(n: number): string {
  return FIGURES.format(n);
}
