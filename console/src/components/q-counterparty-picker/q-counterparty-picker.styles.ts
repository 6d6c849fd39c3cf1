import { css } from "lit";

export const styles = css`
  .picker {
    border: 0;
    padding: 0;
    margin: 0;
    display: grid;
    gap: 0.4rem;
  }
  .options {
    list-style: none;
    margin: 0;
    padding: 0;
    display: grid;
    gap: 0.25rem;
    max-height: 18rem;
    overflow: auto;
  }
  .option {
    display: flex;
    gap: 0.5rem;
    align-items: flex-start;
    padding: 0.4rem 0.5rem;
    border: 1px solid #d0d7de;
    border-radius: 6px;
    cursor: pointer;
  }
  .option.chosen {
    border-color: #0b5cad;
    background: #ddf4ff;
  }
  .what {
    display: flex;
    flex-wrap: wrap;
    gap: 0.25rem 0.6rem;
    align-items: baseline;
  }
`;
