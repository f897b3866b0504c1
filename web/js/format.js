// Formatting and parsing of money, numbers, dates and times, and browser names.
import { state } from './state.js';

const moneyFormats = new Map();

function moneyFormat(options = {}) {
  const key = `${state.currency}|${JSON.stringify(options)}`;
  if (!moneyFormats.has(key)) {
    let fmt;
    try {
      fmt = new Intl.NumberFormat(undefined, { style: 'currency', currency: state.currency, ...options });
    } catch {
      fmt = new Intl.NumberFormat(undefined, { style: 'currency', currency: 'USD', ...options });
    }
    moneyFormats.set(key, fmt);
  }
  return moneyFormats.get(key);
}

/** 1999 -> "$19.99" (in the instance currency). */
export function money(cents) {
  if (cents === null || cents === undefined || Number.isNaN(Number(cents))) return '—';
  return moneyFormat({ minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(Number(cents) / 100);
}

/** Signed money with a real minus sign so gains and losses never rely on colour: "+$5.00", "−$3.10". */
export function signedMoney(cents) {
  if (cents === null || cents === undefined) return '—';
  const n = Number(cents);
  if (n === 0) return money(0);
  return `${n > 0 ? '+' : '−'}${money(Math.abs(n))}`;
}

/** Signed percentage: "+12.34%", "−0.50%", "—" for null. */
export function signedPercent(value) {
  if (value === null || value === undefined || Number.isNaN(Number(value))) return '—';
  const n = Number(value);
  const text = `${Math.abs(n).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 })}%`;
  if (n === 0) return text;
  return `${n > 0 ? '+' : '−'}${text}`;
}

/** Whole currency units, compact: 2_500_000_000 -> "$2.5B". */
export function compactMoney(units) {
  if (units === null || units === undefined) return '—';
  return moneyFormat({ notation: 'compact', maximumFractionDigits: 2, minimumFractionDigits: 0 }).format(Number(units));
}

/** Whole currency units in full: "$2,500,000,000". */
export function wholeMoney(units) {
  if (units === null || units === undefined) return '—';
  return moneyFormat({ maximumFractionDigits: 0, minimumFractionDigits: 0 }).format(Number(units));
}

export function number(n) {
  if (n === null || n === undefined) return '—';
  return Number(n).toLocaleString();
}

/** The currency symbol alone, e.g. "$" or "€", for input adornments. */
export function currencySymbol() {
  try {
    const part = moneyFormat().formatToParts(0).find((p) => p.type === 'currency');
    return part ? part.value : state.currency;
  } catch {
    return state.currency;
  }
}

/**
 * Parses a decimal amount typed by a person into integer cents, exactly (no float maths).
 * Accepts "19.99", "19,99", "1,234.50", "$ 5", "0.5"; refuses more than two decimals.
 * Returns { cents } or { error }.
 */
export function parseMoney(input) {
  let s = String(input ?? '').trim().replace(/[\s\u00a0]/g, '');
  if (s === '') return { error: 'Enter an amount.' };
  s = s.replace(/^[^\d.,-]+/, '').replace(/[^\d.,]+$/, '');
  if (s === '') return { error: 'Enter an amount like 19.99.' };
  if (s.startsWith('-')) return { error: 'The amount cannot be negative.' };
  if (/^\d{1,3}(,\d{3})+(\.\d+)?$/.test(s)) s = s.replace(/,/g, ''); // 1,234.50
  else if (/^\d*,\d{1,2}$/.test(s)) s = s.replace(',', '.'); // 19,99
  const m = /^(\d*)(?:\.(\d*))?$/.exec(s);
  if (!m || (m[1] === '' && !m[2])) return { error: 'Enter an amount like 19.99.' };
  const frac = m[2] ?? '';
  if (frac.length > 2) return { error: 'Use at most two decimal places.' };
  const whole = m[1] === '' ? 0 : Number(m[1]);
  const cents = whole * 100 + Number(frac.padEnd(2, '0') || '0');
  if (!Number.isSafeInteger(cents)) return { error: 'That amount is too large.' };
  return { cents };
}

/** Cents -> "19.99" for pre-filling an input (exact, no float maths). */
export function centsToInput(cents) {
  if (cents === null || cents === undefined) return '';
  const n = Math.trunc(Number(cents));
  const sign = n < 0 ? '-' : '';
  const abs = Math.abs(n);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** Parses a whole non-negative integer ("1,000" allowed). Returns { value } or { error }. */
export function parseInteger(input, { min = 0, label = 'a whole number' } = {}) {
  const s = String(input ?? '').trim().replace(/[\s,_]/g, '');
  if (s === '') return { error: 'Enter a number.' };
  if (!/^-?\d+$/.test(s)) return { error: `Enter ${label}.` };
  const value = Number(s);
  if (!Number.isSafeInteger(value)) return { error: 'That number is too large.' };
  if (value < min) return { error: `Enter at least ${min}.` };
  return { value };
}

const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const dateTimeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function date(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : dateFmt.format(d);
}

export function dateTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : dateTimeFmt.format(d);
}

const pad2 = (n) => String(n).padStart(2, '0');

/** An instant as a datetime-local input shows it, in the browser's time zone: "2026-12-02T11:00". */
export function localInputValue(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}T${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
}

/**
 * A datetime-local input's value (the browser's time zone) as an RFC 3339 instant in UTC. With
 * `end`, the last millisecond of what was typed: "to 11:00" means up to 11:00:59.999, so the
 * events of that minute are in the range. Null when the value is not a date and time.
 */
export function isoFromLocalInput(value, { end = false } = {}) {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,3}))?)?$/.exec(String(value ?? '').trim());
  if (!m) return null;
  const [, y, mo, d, hh, mm, ss, ms] = m;
  const local = new Date(Number(y), Number(mo) - 1, Number(d), Number(hh), Number(mm), Number(ss || 0), Number((ms || '0').padEnd(3, '0')));
  if (Number.isNaN(local.getTime())) return null;
  let t = local.getTime();
  if (end) t += ss === undefined ? 59_999 : ms === undefined ? 999 : 0;
  return new Date(t).toISOString();
}

const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** "3 minutes ago", "yesterday". */
export function relativeTime(iso) {
  if (!iso) return '—';
  const then = new Date(iso).getTime();
  if (Number.isNaN(then)) return '—';
  const seconds = Math.round((then - Date.now()) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return 'just now';
  const units = [
    ['minute', 60, 3600],
    ['hour', 3600, 86400],
    ['day', 86400, 86400 * 30],
    ['month', 86400 * 30, 86400 * 365],
    ['year', 86400 * 365, Infinity],
  ];
  for (const [unit, size, limit] of units) {
    if (abs < limit) return rtf.format(Math.round(seconds / size), unit);
  }
  return dateTime(iso);
}

const BROWSERS = [
  [/Edg(e|A|iOS)?\//, 'Edge'], [/OPR\/|Opera/, 'Opera'], [/SamsungBrowser\//, 'Samsung Internet'],
  [/Firefox\/|FxiOS\//, 'Firefox'], [/Chrome\/|CriOS\//, 'Chrome'], [/Version\/[\d.]+.*Safari\//, 'Safari'],
];
const SYSTEMS = [
  [/iPhone/, 'iPhone'], [/iPad/, 'iPad'], [/Android/, 'Android'], [/Windows/, 'Windows'], [/CrOS/, 'ChromeOS'],
  [/Mac OS X|Macintosh/, 'macOS'], [/Linux/, 'Linux'],
];

/**
 * "Chrome on Linux", "Safari on iPhone" from a User-Agent string; anything else (a script, an
 * unknown browser) is shown as it came, shortened.
 */
export function describeAgent(ua) {
  if (!ua) return 'Unknown browser';
  const browser = BROWSERS.find(([re]) => re.test(ua))?.[1];
  const os = SYSTEMS.find(([re]) => re.test(ua))?.[1];
  if (browser && os) return `${browser} on ${os}`;
  if (browser) return browser;
  return ua.length > 48 ? `${ua.slice(0, 47)}…` : ua;
}

export function plural(n, one, many = `${one}s`) {
  return `${number(n)} ${n === 1 ? one : many}`;
}

/**
 * A server message as a sentence: first letter upper-cased, one full stop at the end
 * ("must be an email" -> "Must be an email."). Never doubles a stop: a message that already ends
 * in punctuation keeps it, and a doubled stop inside ("password.. Add") is made single.
 */
export function sentence(text) {
  let s = String(text ?? '').trim().replace(/(?<!\.)\.\.(?!\.)/g, '.');
  if (!s) return s;
  s = s[0].toUpperCase() + s.slice(1);
  return /[.!?…:)”"]$/.test(s) ? s : `${s}.`;
}
