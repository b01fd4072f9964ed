/**
 * The small forms that open under a row of buttons (the detail panel's resolve, assign and
 * delete): one labelled control, then the confirming buttons and Cancel.
 */
import type { JSX } from 'solid-js';

/** The buttons of an inline form: its own (confirm first), then Cancel. */
export function FormButtons(props: { children: JSX.Element; onCancel: () => void }) {
  return (
    <div class="row-buttons">
      {props.children}
      <button type="button" onClick={() => props.onCancel()}>
        Cancel
      </button>
    </div>
  );
}

/** A one-control form; submitting calls `onSubmit` instead of loading a page. */
export function InlineForm(props: {
  label: string;
  for: string;
  control: JSX.Element;
  buttons: JSX.Element;
  onSubmit: () => void;
  onCancel: () => void;
}) {
  return (
    <form
      class="inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        props.onSubmit();
      }}
    >
      <label for={props.for}>{props.label}</label>
      {props.control}
      <FormButtons onCancel={props.onCancel}>{props.buttons}</FormButtons>
    </form>
  );
}
