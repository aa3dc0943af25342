// The form of examples/ask_files.py (AskElementMessage): submitting answers the ask
// with the rating and comment, cancelling answers it as not submitted.
import { useState } from 'react';

export default function Feedback() {
  const [rating, setRating] = useState(Number(props.rating ?? 3));
  const [comment, setComment] = useState(String(props.comment ?? ''));
  const submit = (event) => {
    event.preventDefault();
    submitElement({ rating, comment });
  };
  return (
    <form onSubmit={submit} style={{ display: 'grid', gap: '0.5rem', maxWidth: '24rem' }}>
      <label>
        Rating: {rating}
        <input
          type="range"
          min="1"
          max="5"
          value={rating}
          onChange={(event) => setRating(Number(event.target.value))}
        />
      </label>
      <textarea
        value={comment}
        placeholder="Anything to add?"
        onChange={(event) => setComment(event.target.value)}
      />
      <div style={{ display: 'flex', gap: '0.5rem' }}>
        <button type="submit">Submit</button>
        <button type="button" onClick={() => cancelElement()}>
          Cancel
        </button>
      </div>
    </form>
  );
}
