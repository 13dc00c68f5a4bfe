/**
 * The line a page shows in place of the controls the operator's key may not use (when
 * `useOperatorMay(scope)` answers false): "`what` needs a key with `scope`."
 */
export function NeedsScope({ what, scope }: { what: string; scope: string }) {
  return (
    <p className="small muted" data-needs-scope={scope}>
      {what} needs a key with {scope}.
    </p>
  );
}
