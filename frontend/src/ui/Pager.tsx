// Newer / older pages of a list the API pages.
type Props = { label: string; page: number; hasNewer: boolean; hasOlder: boolean; onPage: (page: number) => void };

export function Pager({ label, page, hasNewer, hasOlder, onPage }: Props) {
  if (!hasNewer && !hasOlder) return null;
  return (
    <nav className="pager" aria-label={`${label} pages`}>
      <button type="button" className="button small" disabled={!hasNewer} onClick={() => onPage(page - 1)}>
        ← Newer
      </button>
      <span className="hint">Page {page}</span>
      <button type="button" className="button small" disabled={!hasOlder} onClick={() => onPage(page + 1)}>
        Older →
      </button>
    </nav>
  );
}
