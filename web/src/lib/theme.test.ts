import { describe, expect, it } from 'vitest';
import { themeProperties } from './theme';

describe('themeProperties', () => {
  it("maps Chainlit's theme.json variables onto ours and keeps its names for custom CSS", () => {
    const properties = themeProperties({
      '--primary': '210 80% 40%',
      '--background': '#fafafa',
      '--font-sans': "'Public Sans', sans-serif",
      '--accent': '0 0% 96%',
      '--sidebar-width': '20rem',
    });
    expect(properties.get('--accent')).toBe('hsl(210 80% 40%)');
    expect(properties.get('--focus')).toBe('hsl(210 80% 40%)');
    expect(properties.get('--primary')).toBe('210 80% 40%');
    expect(properties.get('--bg')).toBe('#fafafa');
    expect(properties.get('--font')).toBe("'Public Sans', sans-serif");
    // Chainlit's --accent is a soft background; ours is the primary colour.
    expect(properties.get('--accent-soft')).toBe('hsl(0 0% 96%)');
    expect(properties.get('--sidebar-width')).toBe('20rem');
  });

  it('ignores what is not a custom property', () => {
    expect(themeProperties(undefined).size).toBe(0);
    expect([...themeProperties({ color: 'red', '--x': '1' }).keys()]).toEqual(['--x']);
  });
});
