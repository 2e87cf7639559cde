/** Pattern fragments shared by several catalog files (plain template text). */

/** A leading `[Rank 0]` / `[PG ID 0 PG GUID 0(default_pg) Rank 0]` tag; not part of the message (rank comes from the rank extractor). */
export const RANK_TAG = '(?:\\s*\\[(?:PG [^\\]\\[]*)?Rank \\d+\\])?';

/** The rest of the line as the message (leading blanks skipped; an empty rest gives no message). */
export const MESSAGE = '\\s*%{MSG:message}$';
