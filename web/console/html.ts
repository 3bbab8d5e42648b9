import { h } from 'preact';
import htm from 'htm';

/** JSX-like templates without a JSX build step: htm turns tagged templates into Preact's h() calls. */
export const html = htm.bind(h);

export const formatShares = (n: number): string => n.toLocaleString('en-US');
export const formatTime = (iso: string | undefined): string =>
  iso === undefined ? '' : new Date(iso).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
