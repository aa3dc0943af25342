// A custom element: the UI fetches this source from /public/elements/Counter.jsx.
export default function Counter() {
  const count = props.count ?? 0;
  return (
    <button type="button" onClick={() => updateElement({ ...props, count: count + 1 })}>
      Clicked {count} times
    </button>
  );
}
