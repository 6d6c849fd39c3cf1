import { css } from "lit";

export const styles = css`
  .zone {
    display: block;
    border: 2px dashed #6e7781;
    border-radius: 6px;
    padding: 1.25rem;
    text-align: center;
    cursor: pointer;
  }
  .zone.over {
    border-color: #0b5cad;
    background: #ddf4ff;
  }
  .zone:focus-within {
    outline: 3px solid #b37e00;
    outline-offset: 2px;
  }
  input[type="file"] {
    position: absolute;
    width: 1px;
    height: 1px;
    opacity: 0;
  }
  ul {
    list-style: none;
    padding: 0;
    margin: 0.5rem 0 0;
  }
  li {
    display: flex;
    gap: 0.5rem;
    align-items: center;
    justify-content: space-between;
  }
  .progress {
    margin-top: 0.5rem;
  }
`;
