-- Tasks as a source the filter builder, views and reports understand (ACT-1..ACT-5).
--
-- The catalog gets the task properties under the object name 'tasks' (tasks are not an
-- object of the objects table: they are not imported, associated or scored). An
-- enumeration's options may now be [value, label] pairs, so a stored code ("todo") reads
-- as people say it ("To-do"). The associated record is one property of type "record"
-- over the two columns object and record_id.
INSERT INTO properties (object, name, label, type, options, group_name, is_custom, is_read_only, position) VALUES
    ('tasks', 'title', 'Title', 'string', NULL, 'Task information', FALSE, FALSE, 1),
    ('tasks', 'task_type', 'Type', 'enumeration', '[["todo","To-do"],["call","Call"],["email","Email"]]',
     'Task information', FALSE, FALSE, 2),
    ('tasks', 'status', 'Status', 'enumeration', '[["open","Not completed"],["completed","Completed"]]',
     'Task information', FALSE, FALSE, 3),
    ('tasks', 'priority', 'Priority', 'enumeration',
     '[["none","None"],["low","Low"],["medium","Medium"],["high","High"]]', 'Task information', FALSE, FALSE, 4),
    ('tasks', 'due_at', 'Due date', 'datetime', NULL, 'Task information', FALSE, FALSE, 5),
    ('tasks', 'owner_id', 'Assigned to', 'user', NULL, 'Task information', FALSE, FALSE, 6),
    ('tasks', 'record', 'Associated record', 'record', NULL, 'Task information', FALSE, FALSE, 7),
    ('tasks', 'notes', 'Notes', 'string', NULL, 'Task information', FALSE, FALSE, 8),
    ('tasks', 'completed_at', 'Completed date', 'datetime', NULL, 'System', FALSE, TRUE, 9),
    ('tasks', 'created_at', 'Create date', 'datetime', NULL, 'System', FALSE, TRUE, 10);
