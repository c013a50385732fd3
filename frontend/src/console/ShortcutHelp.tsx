export const SHORTCUTS: [string, string][] = [
  ["d", "Draft a reply"],
  ["i", "Insert the draft into the reply"],
  ["r", "Go to the reply box"],
  ["Ctrl+Enter", "Send the reply"],
  ["Esc", "Back to the queue"],
  ["j / k", "Next / previous ticket in the queue"],
  ["Enter", "Open the selected ticket"],
  ["/", "Search the queue"],
];

export function ShortcutHelp() {
  return (
    <details className="shortcut-help">
      <summary id="shortcut-help">Keyboard shortcuts</summary>
      <dl>
        {SHORTCUTS.map(([key, what]) => (
          <div key={key}>
            <dt><kbd>{key}</kbd></dt>
            <dd>{what}</dd>
          </div>
        ))}
      </dl>
    </details>
  );
}
