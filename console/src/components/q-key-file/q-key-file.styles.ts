import { css } from "lit";

export const styles = css`
  details {
    margin: 0.5rem 0;
  }
  .row {
    margin-top: 0.5rem;
  }
`;
