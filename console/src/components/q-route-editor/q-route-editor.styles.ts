import { css } from "lit";

export const styles = css`
  ol {
    padding-left: 1.25rem;
  }
  li.step {
    border: 1px solid #d0d7de;
    border-radius: 6px;
    padding: 0.75rem;
    margin-bottom: 0.5rem;
  }
  fieldset {
    border: 0;
    padding: 0;
    margin: 0.5rem 0;
  }
  legend {
    font-weight: 600;
  }
  .approvers {
    display: flex;
    flex-wrap: wrap;
    gap: 0.25rem 1rem;
  }
`;
