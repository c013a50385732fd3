// A Markdown text area with its live preview beside it.
import { useId, type ReactNode } from "react";
import { MarkdownView } from "./parts";

type Props = {
  value: string;
  onChange: (value: string) => void;
  label?: string;
  error?: ReactNode;
  required?: boolean;
  rows?: number;
};

export function MarkdownEditor({ value, onChange, label = "Text (Markdown)", error, required, rows = 22 }: Props) {
  const id = useId();
  return (
    <div className="kb-editor">
      <div className="kb-editor-pane">
        <label htmlFor={id}>{label}</label>
        <textarea
          id={id}
          className="kb-source"
          value={value}
          rows={rows}
          spellCheck
          required={required}
          onChange={(event) => onChange(event.target.value)}
        />
        {error}
      </div>
      <div className="kb-editor-pane">
        <span className="kb-pane-title" aria-hidden="true">
          Preview
        </span>
        {value.trim() ? <MarkdownView text={value} label="Preview" /> : <p className="hint kb-markdown">Nothing to preview yet.</p>}
      </div>
    </div>
  );
}
