// The custom element of examples/elements.py. Chainlit's UI fetches this source from
// /public/elements/Counter.jsx and renders it with the element's props; a click
// updates the element (its props are stored with it and survive a reload).
export default function Counter() {
  const count = Number(props.count ?? 0);
  return (
    <div style={{ display: 'flex', alignItems: 'center', gap: '0.75rem' }}>
      <span>Count: {count}</span>
      <button type="button" onClick={() => updateElement({ ...props, count: count + 1 })}>
        Add one
      </button>
    </div>
  );
}
