// What a version holds that the knowledge admin should look at: hidden content (kept in the stored text, left
// out of search and drafts) and planted instructions. Warning text is shown as text, never as HTML, with
// invisible characters spelled out.
import { useId } from "react";
import type { VersionWarning } from "./api";
import { characterName, invisiblePieces, spelled } from "./invisible";

export const KIND_WORDS: Record<VersionWarning["kind"], string> = {
  hidden_content: "Hidden content",
  planted_instruction: "Planted instruction",
};

/** Text with its invisible characters shown as ⟦U+200B⟧ marks. */
export function ShowInvisible({ text }: { text: string }) {
  return (
    <>
      {invisiblePieces(text).map((piece, index) =>
        piece.invisible ? (
          <span key={index} className="kb-invisible" title={`Invisible character: ${characterName(piece.text)}`}>
            {spelled(piece.text)}
          </span>
        ) : (
          piece.text
        ),
      )}
    </>
  );
}

export function warningCount(count: number): string {
  return count === 1 ? "1 warning" : `${count} warnings`;
}

/** A count of warnings, for lists. */
export function WarningBadge({ count, title }: { count: number; title?: string }) {
  if (count <= 0) return null;
  return (
    <span className="badge warn kb-warning-badge" title={title}>
      ⚠ {warningCount(count)}
    </span>
  );
}

function WarningItem({ warning }: { warning: VersionWarning }) {
  return (
    <li className={`kb-warning kb-warning-${warning.kind}`}>
      <div>
        <span className={`badge ${warning.kind === "planted_instruction" ? "bad" : "warn"}`}>{KIND_WORDS[warning.kind]}</span> <span>{warning.detail}</span>
        {warning.score != null && <span className="hint"> (score {warning.score.toFixed(2)})</span>}
      </div>
      {warning.text && (
        <pre className="kb-warning-text">
          <ShowInvisible text={warning.text} />
        </pre>
      )}
    </li>
  );
}

/** The list of a version's warnings; nothing when there are none. */
export function WarningList({ warnings, label }: { warnings: VersionWarning[]; label: string }) {
  if (warnings.length === 0) return null;
  return (
    <ul className="kb-warnings" aria-label={label}>
      {warnings.map((warning, index) => (
        <WarningItem key={index} warning={warning} />
      ))}
    </ul>
  );
}

/** A card with a version's warnings and what they mean; nothing when there are none. */
export function WarningsPanel({ warnings, heading }: { warnings: VersionWarning[]; heading: string }) {
  const id = useId();
  if (warnings.length === 0) return null;
  const hidden = warnings.some((warning) => warning.kind === "hidden_content");
  const planted = warnings.some((warning) => warning.kind === "planted_instruction");
  return (
    <section className="card state-warn kb-warnings-panel" aria-labelledby={id}>
      <h2 id={id}>
        {heading}: {warningCount(warnings.length)}
      </h2>
      {hidden && <p className="hint">Hidden content is kept in the stored text but readers do not see it, and search and drafts never use it.</p>}
      {planted && <p className="hint">A planted instruction is text written to steer the assistant: drafts leave it out and tell the agent. Remove it from the document.</p>}
      <WarningList warnings={warnings} label={heading} />
    </section>
  );
}
