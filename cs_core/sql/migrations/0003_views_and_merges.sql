-- Standard views are stored like custom ones so they can be deleted (CUS-4); a deleted
-- standard view keeps its row, marked, so it is not created again.
ALTER TABLE views ADD COLUMN standard_key VARCHAR;
ALTER TABLE views ADD COLUMN deleted_at TIMESTAMP;

-- Every merge of two records (CUS-6): the survivor keeps its id.
CREATE TABLE record_merges (
    id BIGINT PRIMARY KEY,
    object VARCHAR NOT NULL,
    survivor_id BIGINT NOT NULL,
    merged_id BIGINT NOT NULL,
    merged_name VARCHAR,
    merged_values VARCHAR NOT NULL,    -- JSON: the merged record's properties
    merged_at TIMESTAMP NOT NULL,
    merged_by BIGINT
);
