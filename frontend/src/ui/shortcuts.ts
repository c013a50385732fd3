// Keyboard shortcuts: single keys act only when focus is not in a text field; Ctrl/Cmd+Enter acts anywhere.
import { useEffect, useRef } from "react";

function typing(target: EventTarget | null): boolean {
  const element = target as HTMLElement | null;
  if (!element || !element.tagName) return false;
  return element.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(element.tagName);
}

/** `key` like "d", "?", "mod+Enter" (Ctrl or Cmd). */
export function matches(event: KeyboardEvent, key: string): boolean {
  if (key.startsWith("mod+")) return (event.ctrlKey || event.metaKey) && event.key === key.slice(4);
  if (event.ctrlKey || event.metaKey || event.altKey) return false;
  return event.key === key && !typing(event.target);
}

export function useShortcut(key: string, action: () => void, enabled = true): void {
  const latest = useRef(action);
  latest.current = action;
  useEffect(() => {
    if (!enabled) return;
    const listener = (event: KeyboardEvent) => {
      if (matches(event, key)) {
        event.preventDefault();
        latest.current();
      }
    };
    window.addEventListener("keydown", listener);
    return () => window.removeEventListener("keydown", listener);
  }, [key, enabled]);
}
