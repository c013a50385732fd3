// A new document written here: title, kind, language and Markdown text with a live preview.
import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router-dom";
import { useShortcut } from "../ui/shortcuts";
import { useCreateDocument, useOptions, type Kind } from "./api";
import { MarkdownEditor } from "./MarkdownEditor";
import { Field, FieldError, FormError } from "../ui/form";
import "./knowledge.css";

export function NewDocumentPage() {
  const navigate = useNavigate();
  const options = useOptions();
  const create = useCreateDocument();
  const [title, setTitle] = useState("");
  const [text, setText] = useState("");
  const [kind, setKind] = useState<Kind>("policy");
  const [language, setLanguage] = useState("en");

  function submit(event?: FormEvent) {
    event?.preventDefault();
    if (create.isPending) return;
    create.mutate(
      { title: title.trim(), text, kind, language: language.trim() || "en", status: "draft" },
      { onSuccess: (document) => navigate(`/knowledge/${document.id}`) },
    );
  }
  useShortcut("mod+Enter", () => submit());

  return (
    <div className="page">
      <div className="page-head">
        <h1>New document</h1>
        <div className="actions">
          <Link className="button" to="/knowledge">
            Back to documents
          </Link>
          <Link className="button" to="/knowledge/upload">
            Upload files instead
          </Link>
        </div>
      </div>
      <form className="card kb-form" onSubmit={submit} aria-label="New document">
        <div className="kb-row">
          <Field label="Title" error={create.error} name="title" className="kb-grow">
            {(control) => <input {...control} value={title} onChange={(event) => setTitle(event.target.value)} required maxLength={300} />}
          </Field>
          <Field label="Kind" error={create.error} name="kind">
            {(control) => (
              <select {...control} value={kind} onChange={(event) => setKind(event.target.value as Kind)}>
                {(options.data?.kinds ?? [{ value: "policy", label: "Policy" }]).map((option) => (
                  <option key={option.value} value={option.value}>
                    {option.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Language" error={create.error} name="language">
            {(control) => <input {...control} value={language} onChange={(event) => setLanguage(event.target.value)} size={6} />}
          </Field>
        </div>
        <MarkdownEditor value={text} onChange={setText} required error={<FieldError error={create.error} name="text" />} />
        <FormError error={create.error} />
        <div className="kb-actions">
          <button type="submit" className="button primary" disabled={create.isPending || !title.trim() || !text.trim()}>
            {create.isPending ? "Creating…" : "Create draft"}
          </button>
          <span className="hint">
            <kbd>Ctrl</kbd>+<kbd>Enter</kbd> creates it. It starts as a draft: publish it from its page once it reads right.
          </span>
        </div>
      </form>
    </div>
  );
}
